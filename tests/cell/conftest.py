"""Shared fixtures: the probe guest built once with `ww build`, one engine per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio

from wetnode.cell import Engine, GuestSpec, Limits, Stdio
from wetnode.cli import main as ww

GUESTS = Path(__file__).parent / "guests"


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("ww-cache")


@pytest.fixture(scope="session")
def probe_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/cell/guests/probe built by `ww build` (~10 s, once per session)."""
    project = tmp_path_factory.mktemp("probe")
    shutil.copy(GUESTS / "probe" / "app.py", project / "app.py")
    assert ww(["build", str(project)]) == 0
    return project / "boot" / "main.wasm"


@pytest.fixture(scope="session")
def engine(cache_dir: Path) -> Iterator[Engine]:
    with Engine(cache_dir) as engine:
        yield engine


@pytest.fixture
def probe(probe_wasm: Path):
    """Make a GuestSpec for the probe guest running `mode`."""

    def spec(*args: str, limits: Limits | None = None, stdio: Stdio | None = None,
             root: Path | None = None, env: dict[str, str] | None = None) -> GuestSpec:
        return GuestSpec(
            probe_wasm,
            name="probe",
            args=args,
            env=env or {},
            root=root,
            stdio=stdio or Stdio(stdout="pipe"),
            limits=limits or Limits(),
        )

    return spec


async def _read_all(stream: trio.abc.ReceiveStream | None) -> bytes:
    assert stream is not None, "stream is not piped"
    chunks = []
    while chunk := await stream.receive_some():
        chunks.append(chunk)
    return b"".join(chunks)


@pytest.fixture
def read_all():
    """`await read_all(stream)`: everything until EOF."""
    return _read_all
