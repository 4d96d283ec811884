"""Deploy, read and move an Atom head on a real anvil; operator errors are clear."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.support.devchain import Anvil
from wetnode.ipfs.cid import Cid
from wetnode.stem import contract
from wetnode.stem.abi import Head
from wetnode.stem.errors import StemError

CID_A = Cid.parse("QmUNLLsPACCz1vLxQVkXqqLX5R1X345qqfHbsf67hvA3Nn")
CID_B = Cid.parse("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku")
UNFUNDED_KEY = "0x" + "11" * 32


def test_deploy_then_set_head_advances_seq_and_head(chain: Anvil, owner_key: str) -> None:
    address = contract.deploy(chain.url, owner_key, CID_A.to_bytes())
    assert contract.read_head(chain.url, address) == Head(0, CID_A.to_bytes())

    result = contract.set_head(chain.url, address, CID_B.to_bytes(), owner_key)

    assert result.seq == 1
    assert contract.read_head(chain.url, address) == Head(1, CID_B.to_bytes())
    assert contract.read_head(chain.url, address, block=result.block_number - 1).seq == 0


def test_set_head_by_another_account_is_a_not_owner_error(chain: Anvil, atom: str) -> None:
    with pytest.raises(StemError, match=r"is not the owner .* sign with the owner's key"):
        contract.set_head(chain.url, atom, b"other", chain.private_keys[1])
    assert contract.read_head(chain.url, atom).seq == 0


def test_set_head_to_the_current_head_is_a_no_change_error(
    chain: Anvil, atom: str, owner_key: str
) -> None:
    with pytest.raises(StemError, match="already that CID: nothing to publish"):
        contract.set_head(chain.url, atom, b"genesis", owner_key)


def test_owner_without_funds_gets_a_funding_error(chain: Anvil, owner_key: str) -> None:
    with pytest.raises(StemError, match=r"has 0\.0+ ETH on chain 31337.*fund it"):
        contract.deploy(chain.url, UNFUNDED_KEY, b"x")


def test_wrong_chain_id_is_refused_before_signing(chain: Anvil, atom: str, owner_key: str) -> None:
    with pytest.raises(StemError, match="has chain id 31337, not 1"):
        contract.set_head(chain.url, atom, b"next", owner_key, chain_id=1)
    assert contract.read_head(chain.url, atom).seq == 0


def test_address_without_a_contract_is_named(chain: Anvil, owner_key: str) -> None:
    with pytest.raises(StemError, match="no contract at 0x2222"):
        contract.read_head(chain.url, "0x" + "22" * 20)


def test_unreachable_chain_is_a_clear_error(closed_port: int, owner_key: str) -> None:
    with pytest.raises(StemError, match=r"cannot reach the chain at .* is the node running"):
        contract.deploy(f"http://127.0.0.1:{closed_port}", owner_key, b"x")


def test_malformed_key_is_a_clear_error(chain: Anvil, atom: str) -> None:
    with pytest.raises(StemError, match="not a 32-byte secp256k1 secret"):
        contract.set_head(chain.url, atom, b"next", "0x1234")


def ww(*args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "WW_STEM_KEY"}
    if key is not None:
        env["WW_STEM_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "wetnode", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


@pytest.mark.slow
def test_cli_deploys_and_reads_the_head(chain: Anvil, owner_key: str) -> None:
    deployed = ww("stem", "deploy", "--cid", str(CID_B), "--rpc-url", chain.url, key=owner_key)
    assert deployed.returncode == 0, deployed.stderr
    address = deployed.stdout.strip()
    assert contract.read_head(chain.url, address) == Head(0, CID_B.to_bytes())

    head = ww("stem", "head", address, "--rpc-url", chain.url)
    assert head.returncode == 0, head.stderr
    assert head.stdout.splitlines() == ["seq 0", f"cid {CID_B}"]


@pytest.mark.slow
def test_cli_errors_are_one_line_without_traceback(chain: Anvil, closed_port: int) -> None:
    down = ww("stem", "head", "0x" + "22" * 20, "--rpc-url", f"http://127.0.0.1:{closed_port}")
    no_key = ww("stem", "deploy", "--rpc-url", chain.url)
    bad_cid = ww(
        "stem", "deploy", "--cid", "nonsense", "--rpc-url", chain.url, key="0x" + "11" * 32
    )

    assert (down.returncode, no_key.returncode, bad_cid.returncode) == (1, 2, 2)
    assert "cannot reach the chain" in down.stderr
    assert "no signing key" in no_key.stderr
    assert "invalid CID 'nonsense'" in bad_cid.stderr
    for result in (down, no_key, bad_cid):
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert "Traceback" not in result.stderr
