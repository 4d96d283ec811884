"""What `ww` commands that start no node load: not the network stack, not the sandbox.

Every `ww` subprocess pays its imports: libp2p loads its whole host
(seconds on a loaded machine), wasmtime and trio a quarter of a second.
The node config and the key are needed by commands that start nothing.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("libp2p", "wasmtime", "trio")


def _loaded_after(code: str, heavy: tuple[str, ...] = HEAVY) -> set[str]:
    """The ``heavy`` packages a fresh interpreter has loaded after running ``code``."""
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120, check=True)  # fmt: skip
    return {name for name in json.loads(done.stdout.splitlines()[-1]) if name in heavy}


def test_the_node_config_loads_neither_libp2p_nor_wasmtime_nor_trio():
    assert _loaded_after("import wetnode.config") == set()


def test_a_key_and_its_identities_load_none_of_them():
    code = (
        "from wetnode.keys import NodeKey\n"
        "key = NodeKey.generate()\n"
        "print(key.peer_id_text, key.evm_address, key.sign(b'x').hex())"
    )
    assert _loaded_after(code) == set()


def test_a_keys_evm_address_loads_no_ethereum_library():
    """`ww keygen` prints the address: eth_keys would bring eth_utils and pydantic (~1 s)."""
    code = "from wetnode.keys import NodeKey\nprint(NodeKey.generate().evm_address)"
    assert _loaded_after(code, ("eth_keys", "eth_utils", "pydantic")) == set()


def test_the_peer_id_text_is_libp2ps():
    from wetnode.keys import NodeKey

    key = NodeKey.generate()
    assert key.peer_id_text == str(key.peer_id) == key.peer_id.to_base58()
