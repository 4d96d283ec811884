"""Fixtures every test directory shares, each set up once a session.

One real Helia peer, one agent runtime cache, one anvil chain, the kernel
image and the echo-args tool built once by the real `ww build`, the probe
guest and one engine for the cell tests, one node data dir whose compile
cache every node of the session shares (`tests.support.guests`), and one
node serving the plain kernel for the tests that only dial it.  Defined
here, not imported into each directory's conftest: a fixture imported into
two conftests is two fixtures, set up (built, compiled) twice.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.kernel.node_process import ServingNode, drain_stderr, serving_node
from tests.support import helia as helia_peer
from tests.support.devchain import Anvil
from tests.support.guests import home_sharing_cache, loopback_env, ww_build
from tests.support.stem_node import StemHeads
from wetnode.cell import Engine, GuestSpec, Limits, Stdio

REPO = Path(__file__).resolve().parents[1]
CELL_GUESTS = REPO / "tests" / "cell" / "guests"
SOURCES = shutil.ignore_patterns("*.wasm", "__pycache__")


@pytest.fixture(scope="session")
def helia(tmp_path_factory: pytest.TempPathFactory) -> Iterator[helia_peer.Helia]:
    peer = helia_peer.start(tmp_path_factory.mktemp("helia"))
    try:
        yield peer
    finally:
        peer.stop()


@pytest.fixture(scope="session", autouse=True)
def runtime_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One shared agent runtime cache for the session (`ww build` builds it once), not ~/.cache.

    Set in the environment, so `ww` subprocesses use it too.
    """
    directory = tmp_path_factory.mktemp("runtime-cache")
    before = os.environ.get("WW_RUNTIME_CACHE")
    os.environ["WW_RUNTIME_CACHE"] = str(directory)
    try:
        yield directory
    finally:
        if before is None:
            del os.environ["WW_RUNTIME_CACHE"]
        else:
            os.environ["WW_RUNTIME_CACHE"] = before


@pytest.fixture(scope="session")
def chain() -> Iterator[Anvil]:
    """One real anvil; each test deploys its own Atom, so tests do not see each other's heads."""
    with Anvil() as anvil:
        yield anvil


@pytest.fixture
def stem_heads(chain: Anvil, kernel_image: Path, node_env: dict[str, str], tmp_path: Path):
    """The kernel as the heads of a new Atom, for `ww run --stem` nodes (`stem_daemon`)."""
    return StemHeads(chain, kernel_image, node_env, tmp_path)


@pytest.fixture(scope="session")
def ww_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One data dir (compile cache) for every node the session starts on the kernel."""
    return tmp_path_factory.mktemp("ww-home")


@pytest.fixture
def node_env(ww_home: Path) -> dict[str, str]:
    """This environment without its ``WW_*`` settings, on `ww_home` and loopback."""
    return loopback_env(ww_home)


@pytest.fixture(scope="session")
def kernel_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of images/kernel, built by the real `ww build` (the shared agent runtime)."""
    image = tmp_path_factory.mktemp("img") / "kernel"
    shutil.copytree(REPO / "images" / "kernel", image, ignore=SOURCES)
    ww_build(image)
    return image


@pytest.fixture(scope="session")
def kernel_node(
    kernel_image: Path, ww_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServingNode]:
    """One daemon `ww run` of the plain kernel, for tests that only dial it.

    A node start costs seconds of imports and a boot; a test that needs a
    fresh node's state (its log, its stop, its own flags) starts its own.
    Its data dir is its own, sharing `ww_home`'s compile cache: its audit log
    stays out of the logs the audit tests count in `ww_home`.
    """
    home = home_sharing_cache(tmp_path_factory.mktemp("kernel-node") / "home", ww_home)
    with serving_node([str(kernel_image)], loopback_env(home)) as node:
        drain_stderr(node.proc)
        yield node


@pytest.fixture(scope="session")
def tools_layer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A layer with bin/echo-args.wasm (images/examples/echo-args, built) and an allow list.

    Standalone: `ww dial --shell` sends the tool to the remote node as bytes alone.
    """
    project = tmp_path_factory.mktemp("src") / "echo-args"
    shutil.copytree(REPO / "images" / "examples" / "echo-args", project, ignore=SOURCES)
    wasm = ww_build(project, "--standalone")
    layer = tmp_path_factory.mktemp("tools")
    (layer / "bin").mkdir()
    shutil.copy(wasm, layer / "bin" / "echo-args.wasm")
    (layer / "etc").mkdir()
    (layer / "etc" / "membrane.allow").write_text("# exported to peers\nexecutor.echo\n")
    return layer


@pytest.fixture(scope="session")
def cache_dir(ww_home: Path) -> Path:
    """The compile cache of the in-process `engine`: `ww_home`'s, so the runtime a node
    compiled loads here too (the cache's entries are written atomically)."""
    return ww_home / "cache"


@pytest.fixture(scope="session")
def engine(cache_dir: Path) -> Iterator[Engine]:
    """One in-process `Engine` for the session."""
    with Engine(cache_dir) as running:
        yield running


@pytest.fixture(scope="session")
def probe_wasm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/cell/guests/probe built by `ww build` (once per session)."""
    project = tmp_path_factory.mktemp("probe")
    shutil.copy(CELL_GUESTS / "probe" / "app.py", project / "app.py")
    return ww_build(project)


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
