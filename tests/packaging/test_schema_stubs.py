"""The host's schema stubs: regenerated they are the committed files, and mypy reads them.

pycapnp builds `system.Executor` and friends at run time; `wetnode.schemas.*`
serves those classes and its generated `.pyi` stubs tell a type checker
their methods and fields.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts import gen_guest_schemas
from wetnode.rpc import schema
from wetnode.schemas import ipfs, stem, system

STUBS = Path(system.__file__).parent

SERVER_AND_CLIENT = '''
from typing import Any

from wetnode.schemas import stem, system


class Echo(system.Executor.Server):
    async def echo(self, message: str, **_: Any) -> str:
        return message


class Membrane(stem.Membrane.Server):
    async def graft(self, signer: stem.Signer, _context: Any, **_: Any) -> None:
        _context.results.executor = Echo()


async def call(host: system.Host) -> str:
    executor = (await host.executor()).executor
    membrane = executor.cast_as(stem.GuestMembrane)
    await membrane.graft(Membrane())  # line 20: a Membrane is no Signer
    return (await executor.echo("hi")).response
'''


def test_regenerating_the_stubs_gives_the_committed_files() -> None:
    for name, text in gen_guest_schemas.generate_stubs().items():
        assert (STUBS / name).read_text() == text, f"{name} is stale: run the generator"


def test_the_typed_modules_serve_the_classes_pycapnp_loaded() -> None:
    assert system.Executor is schema.system().Executor
    assert stem.GuestMembrane.Server is schema.stem().GuestMembrane.Server
    assert ipfs.UnixFS.Entry is schema.ipfs().UnixFS.Entry
    with pytest.raises(AttributeError):
        _ = system.NoSuchInterface


@pytest.mark.slow
def test_mypy_checks_servers_and_calls_against_the_stubs(tmp_path: Path) -> None:
    program = tmp_path / "program.py"
    program.write_text(SERVER_AND_CLIENT)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"),
         "--ignore-missing-imports", "--no-error-summary", program.name],
        capture_output=True, text=True, timeout=300, cwd=tmp_path,
    )  # fmt: skip
    errors = result.stdout.splitlines()
    assert len(errors) == 1, result.stdout + result.stderr
    assert errors[0].startswith('program.py:20: error: Argument 1 to "graft" of "Membrane"')
