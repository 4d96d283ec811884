"""The committed contract artifact matches its source and the reference's ABI."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from eth_utils import keccak

from tests.support.devchain import REPO_ROOT
from wetnode.stem import abi

# From the reference implementation (docs: shared notes, reference.md).
REFERENCE_SELECTORS = {
    "head()": "8f7dcfa3",
    "setHead(bytes)": "43eae823",
    "seq()": "6857ab40",
    "owner()": "8da5cb5b",
}
REFERENCE_TOPIC = "85f2cb2e69cdbc779032c9439dbb51c7a51f823b898e6068e18b896e87bd29d0"


@pytest.mark.slow
def test_committed_artifact_is_what_the_source_compiles_to() -> None:
    node = shutil.which("node")
    assert node, "node is needed to run solc-js (scripts/install.sh --test)"
    result = subprocess.run(
        [node, str(REPO_ROOT / "scripts" / "build_contract.mjs"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_artifact_selectors_match_the_reference() -> None:
    assert abi.artifact()["methodIdentifiers"] == REFERENCE_SELECTORS
    assert abi.HEAD_SELECTOR.hex() == REFERENCE_SELECTORS["head()"]
    assert abi.SET_HEAD_SELECTOR.hex() == REFERENCE_SELECTORS["setHead(bytes)"]


def test_head_updated_topic_is_the_full_reference_hash() -> None:
    assert abi.HEAD_UPDATED_TOPIC.hex() == REFERENCE_TOPIC
    events = [e for e in abi.artifact()["abi"] if e["type"] == "event"]
    assert len(events) == 1
    signature = "{}({})".format(events[0]["name"], ",".join(i["type"] for i in events[0]["inputs"]))
    assert keccak(text=signature).hex() == REFERENCE_TOPIC
    assert [i["indexed"] for i in events[0]["inputs"]] == [True, True, False, True]


def test_artifact_declares_the_two_custom_errors() -> None:
    errors = {e["name"] for e in abi.artifact()["abi"] if e["type"] == "error"}
    assert errors == {"NotOwner", "NoChange"}
    assert set(abi.ERROR_SELECTORS.values()) == errors
