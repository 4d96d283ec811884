"""One secp256k1 key: libp2p peer ID and EVM address; key files; identity order."""

from __future__ import annotations

import stat
from pathlib import Path

import base58
import pytest
from eth_keys import keys as eth_keys
from libp2p.crypto.secp256k1 import create_new_key_pair
from libp2p.peer.id import ID

from wetnode.errors import KeyFileError
from wetnode.keys import NodeKey, resolve_identity


def test_keygen_prints_the_secret_on_stdout_and_identities_on_stderr(ww):
    result = ww("keygen")
    assert result.returncode == 0, result.stderr
    key = NodeKey.parse(result.stdout)
    assert f"peer id:     {key.peer_id}" in result.stderr
    assert f"evm address: {key.evm_address}" in result.stderr
    assert len(base58.b58decode(result.stdout.strip())) == 32


def test_keygen_output_file_is_private_and_loads_back(ww, tmp_path: Path):
    path = tmp_path / "key"
    result = ww("keygen", "--output", str(path))
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key = NodeKey.load(path)
    assert str(key.peer_id) in result.stderr
    again = ww("keygen", "--output", str(path))
    assert again.returncode == 1 and "already exists" in again.stderr
    assert NodeKey.load(path).secret == key.secret, "a refused keygen must not touch the file"


def test_peer_id_and_address_agree_with_libp2p_and_eth_keys():
    key = NodeKey.generate()
    pair = create_new_key_pair(key.secret)
    assert key.peer_id == ID.from_pubkey(pair.public_key)
    assert str(key.peer_id).startswith("16Uiu2HA")  # secp256k1 identity-multihash prefix
    assert key.evm_address == eth_keys.PrivateKey(key.secret).public_key.to_checksum_address()


def test_the_evm_address_is_eip55_checksummed_as_eth_keys_writes_it():
    """Our keccak and checksum against eth_keys' on many keys, and one known answer."""
    for _ in range(100):
        key = NodeKey.generate()
        assert key.evm_address == eth_keys.PrivateKey(key.secret).public_key.to_checksum_address()
    one = NodeKey((1).to_bytes(32, "big"))
    assert one.evm_address == "0x7E5F4552091A69125d5DfCb7b8C2659029395Bdf"


@pytest.mark.parametrize("form", ["base58", "hex", "0xhex", "padded"])
def test_key_files_accept_base58_and_hex(tmp_path: Path, form: str):
    key = NodeKey.generate()
    text = {
        "base58": key.to_base58(),
        "hex": key.secret.hex(),
        "0xhex": "0x" + key.secret.hex().upper(),
        "padded": f"\n  {key.to_base58()} \n\n",
    }[form]
    path = tmp_path / "key"
    path.write_text(text)
    assert NodeKey.load(path).secret == key.secret


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is not a node key (it is empty)"),
        ("not a key!", "is not a node key"),
        ("0x1234", "is not a node key"),
        ("0x" + "00" * 32, "not a valid secp256k1 secret"),
    ],
)
def test_malformed_key_files_name_the_file(tmp_path: Path, content: str, message: str):
    path = tmp_path / "badkey"
    path.write_text(content)
    with pytest.raises(KeyFileError, match="badkey") as info:
        NodeKey.load(path)
    assert message in str(info.value)


def test_bad_key_file_is_one_line_error_through_ww_run(ww, tmp_path: Path, make_tree):
    layer = make_tree("img", {"boot/main.wasm": "\0asm"})
    bad = tmp_path / "key"
    bad.write_text("garbage")
    result = ww("run", "--identity", str(bad), str(layer))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert str(bad) in result.stderr


def test_identity_resolution_order(tmp_path: Path):
    keys = {name: NodeKey.generate() for name in ("flag", "env", "image")}
    paths = {}
    for name, key in keys.items():
        paths[name] = tmp_path / name
        key.save(paths[name])
    env = {"WW_IDENTITY": str(paths["env"])}
    image = {"etc/identity": paths["image"]}
    assert resolve_identity(paths["flag"], env, image)[0].secret == keys["flag"].secret
    assert resolve_identity(None, env, image)[0].secret == keys["env"].secret
    key, source = resolve_identity(None, {}, image)
    assert key.secret == keys["image"].secret and "/etc/identity" in source
    key, source = resolve_identity(None, {}, {})
    assert "ephemeral" in source and key.secret not in {k.secret for k in keys.values()}


def test_a_libp2p_secp256k1_key_file_loads_with_its_own_peer_id(tmp_path: Path):
    from libp2p.crypto.secp256k1 import create_new_key_pair
    from libp2p.peer.id import ID

    pair = create_new_key_pair()
    path = tmp_path / "libp2p.key"
    path.write_bytes(pair.private_key.serialize())
    assert NodeKey.load(path).peer_id == ID.from_pubkey(pair.public_key)
