"""`ww doctor`: check this machine can run and build nodes, and say what to fix.

Each check is one line, `ok` or `fix` with what to do; `ww doctor` exits 1
if any says `fix`.  It checks the Python, `ww build`'s toolchain
(componentize-py), the compile cache and the data dir (writable), that the
port `ww run` would listen on is free, and the chain RPC and the IPFS API
when they are given (flag or ``WW_*`` variable).  Network checks are bounded
by `CHECK_TIMEOUT`.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import trio

from wetnode.config import NodeConfig, add_options
from wetnode.errors import WetnodeError

MIN_PYTHON = (3, 11)
CHECK_TIMEOUT = 5.0  # seconds for one network check


@dataclass(frozen=True)
class Finding:
    """One check's outcome: what was checked, and what was found or what to do."""

    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok ' if self.ok else 'fix'}  {self.name}: {self.detail}"


def configure(parser: argparse.ArgumentParser) -> None:
    add_options(parser, ["port", "listen", "rpc-url", "ipfs-api"])


def run(args: argparse.Namespace) -> int:
    config = NodeConfig.from_args(args, os.environ)
    findings = [python(), toolchain(), writable("data dir", config.home)]
    findings.append(writable("compile cache", config.cache_dir))
    findings.append(port(config))
    if _given(args, "rpc_url", "WW_RPC_URL"):
        findings.append(trio.run(reachable, "chain RPC", config.rpc_url, _chain_id))
    if config.ipfs_api:
        findings.append(trio.run(reachable, "IPFS API", config.ipfs_api, _ipfs_version))
    for finding in findings:
        print(finding.line())
    return 0 if all(finding.ok for finding in findings) else 1


def _given(args: argparse.Namespace, dest: str, env: str) -> bool:
    return getattr(args, dest, None) is not None or bool(os.environ.get(env))


def python() -> Finding:
    version = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] >= MIN_PYTHON:
        return Finding("python", True, f"{version} at {sys.executable}")
    wanted = ".".join(map(str, MIN_PYTHON))
    return Finding("python", False, f"{version} is too old: install Python {wanted} or newer")


def toolchain() -> Finding:
    from wetnode.cell.componentize import componentize_py

    try:
        return Finding("ww build toolchain", True, f"componentize-py at {componentize_py()}")
    except WetnodeError as exc:
        return Finding("ww build toolchain", False, str(exc))


def writable(name: str, directory: Path) -> Finding:
    """Whether files can be created in `directory` (made if missing, as `ww` would)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return Finding(
            name,
            False,
            f"cannot write in {directory} ({reason}): fix its "
            "permissions or set WW_HOME to a writable directory",
        )
    return Finding(name, True, str(directory))


def port(config: NodeConfig) -> Finding:
    from wetnode.net.swarm import check_port_free

    where = f"{config.listen}:{config.port}"
    if config.port == 0:
        return Finding("listen port", True, f"{where}: a free port is picked at start")
    try:
        check_port_free(config.listen, config.port)
    except WetnodeError as exc:
        return Finding("listen port", False, str(exc))
    return Finding("listen port", True, f"{where} is free")


async def reachable(name: str, url: str, probe: Callable[[str], Awaitable[str]]) -> Finding:
    """Whether `probe(url)` answers within `CHECK_TIMEOUT`, and what it said."""
    with trio.move_on_after(CHECK_TIMEOUT):
        try:
            return Finding(name, True, f"{url}: {await probe(url)}")
        except WetnodeError as exc:
            return Finding(name, False, str(exc))
    return Finding(
        name, False, f"{url} did not answer in {CHECK_TIMEOUT:g} s: start it or pass the right URL"
    )


async def _chain_id(url: str) -> str:
    from wetnode.stem.abi import DecodeError, hex_int
    from wetnode.stem.errors import StemError
    from wetnode.stem.rpc import HttpRpc, RpcError

    rpc = HttpRpc(url)
    try:
        return f"chain id {hex_int(await rpc.call('eth_chainId'))}"
    except (RpcError, DecodeError, ValueError) as exc:
        raise StemError(f"{exc}; start the chain or pass the right --rpc-url") from None
    finally:
        await rpc.aclose()


async def _ipfs_version(url: str) -> str:
    from wetnode.ipfs.kubo import KuboBackend

    backend = KuboBackend(url, timeout=CHECK_TIMEOUT)
    try:
        return f"Kubo {await backend.version()}"
    finally:
        await backend.aclose()
