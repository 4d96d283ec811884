"""The schemas keep the reference node's IDs and ordinals (wire compatibility)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from wetnode.rpc import schema

IDS = {
    ("system", "Host"): 0x9EA70C8C9AEFB70C,
    ("system", "Executor"): 0xBFA37C1E99B4A492,
    ("system", "Process"): 0x97D4030D8435F0B1,
    ("system", "ByteStream"): 0xCB8707FF6DC46EE0,
    ("stem", "Membrane"): 0xDB52C25106BC2C5E,
    ("stem", "Signer"): 0xAFAFAF9468B6A274,
    ("stem", "Identity"): 0xA7C200E5B4726D89,
    ("stem", "Epoch"): 0xC736E79956026568,
    ("ipfs", "Client"): 0xD74F0585CE163B98,
    ("ipfs", "UnixFS"): 0xED62A696EB305EA7,
}

FILE_IDS = {"system": 0xBF5147B78C0E6A2F, "stem": 0x9BCE094A026970C4, "ipfs": 0xBA1BF6F9B41AAC9A}

ORDINALS = {
    ("system", "Host"): ["id", "addrs", "peers", "connect", "executor"],
    ("system", "Executor"): ["runBytes", "echo"],
    ("system", "Process"): ["stdin", "stdout", "stderr", "wait"],
    ("system", "ByteStream"): ["read", "write", "close"],
    ("stem", "Membrane"): ["graft"],
    ("stem", "Signer"): ["sign"],
    ("stem", "Identity"): ["signer"],
}


@pytest.mark.parametrize(("where", "expected"), list(IDS.items()), ids=lambda v: str(v))
def test_type_ids_match_the_reference(where, expected):
    file, name = where
    assert getattr(schema.load(file), name).schema.node.id == expected


@pytest.mark.parametrize(("file", "expected"), list(FILE_IDS.items()))
def test_file_ids_match_the_reference(file, expected):
    text = (schema.schema_dir() / f"{file}.capnp").read_text()
    assert f"@0x{expected:016x};" in text


@pytest.mark.parametrize(("where", "methods"), list(ORDINALS.items()), ids=lambda v: str(v))
def test_reference_methods_keep_their_ordinals(where, methods):
    file, name = where
    node = getattr(schema.load(file), name).schema.node
    ours = [m.name for m in node.interface.methods]
    assert ours[: len(methods)] == methods, "reference methods first, in order; additions after"


def test_ipfs_client_accessors_keep_their_ordinals():
    node = schema.ipfs().Client.schema.node
    names = [m.name for m in node.interface.methods]
    assert names.index("resolvePath") == 10 and names.index("resolveNode") == 11


def test_the_top_level_capnp_directory_is_a_relative_link_to_the_packaged_schemas():
    top = Path(__file__).resolve().parents[2] / "capnp"
    assert top.is_symlink() and not os.readlink(top).startswith("/")
    assert top.resolve() == schema.schema_dir().resolve()
    assert sorted(p.name for p in top.iterdir()) == sorted(f"{f}.capnp" for f in FILE_IDS)
