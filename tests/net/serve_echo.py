"""A real node process for network tests and bench/net.py.

Runs a swarm on 127.0.0.1 (random port) with a vat, and serves on
``/ww/0.1.0`` an attenuated Executor: ``echo`` is allowed, ``runBytes`` is
refused.  With ``--export bytestream`` it serves a ByteStream instead
(``write`` discards, ``read`` returns that many zero bytes) for throughput
runs.  It also serves a raw echo protocol, the baseline for benchmarks.

Prints ``READY <multiaddr>`` on stdout once listening and exits when its
stdin closes.  ``echo("block")`` prints ``BLOCKED`` and never answers, so
tests can kill the node while a call is in flight; ``--port`` and ``--key``
let a restarted node come back at the same address.  Until ``ww run`` can
serve pid0's export, this stands in for a node.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import selectors
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import trio
from libp2p.abc import INetStream
from libp2p.crypto.secp256k1 import create_new_key_pair
from libp2p.io.exceptions import IOException

from wetnode.net.protocol import serve
from wetnode.net.swarm import open_swarm
from wetnode.rpc import schema
from wetnode.rpc.vat import open_vat

RAW_ECHO = "/wetnode-test/echo/1.0.0"
READY_TIMEOUT = 30.0  # seconds for a node process to print its address


class NodeProcess:
    """A running serve_echo.py process: its OS process and dialable address."""

    def __init__(self, proc: subprocess.Popen[str], address: str) -> None:
        self.proc = proc
        self.address = address

    def rss_kib(self) -> int:
        """Resident memory of the node process (Linux /proc)."""
        with open(f"/proc/{self.proc.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS line")


@contextmanager
def spawn(export: str = "executor", port: int = 0, key: str = "") -> Iterator[NodeProcess]:
    """Start a node process, wait for its READY line, stop it on exit (closes its stdin)."""
    proc = subprocess.Popen(
        [sys.executable, __file__, "--export", export, "--port", str(port), "--key", key],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = readline_within(proc, READY_TIMEOUT)
        if not line.startswith("READY "):
            raise RuntimeError(f"node process did not start: {line!r}")
        yield NodeProcess(proc, line.split()[1])
    finally:
        _stop(proc)


def readline_within(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as sel:
        sel.register(proc.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise TimeoutError(f"node process printed nothing within {timeout} s")
    return proc.stdout.readline()


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.stdin is not None and not proc.stdin.closed:
        with suppress(BrokenPipeError):
            proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class AttenuatedExecutor(schema.system().Executor.Server):
    """What a pid0 might export: echo only."""

    async def echo(self, message: str, **kwargs: object) -> str:
        if message == "block":
            print("BLOCKED", flush=True)
            await asyncio.Event().wait()
        return message

    async def runBytes(self, wasm: bytes, args: list[str], env: list[str], **kwargs: object):
        raise PermissionError("runBytes is not exported by this node")


class ZeroByteStream(schema.system().ByteStream.Server):
    """Endless source of zero bytes and a bottomless sink."""

    async def read(self, maxBytes: int, **kwargs: object) -> bytes:
        return bytes(maxBytes)

    async def write(self, data: bytes, **kwargs: object) -> None:
        return None

    async def close(self, **kwargs: object) -> None:
        return None


EXPORTS = {"executor": AttenuatedExecutor, "bytestream": ZeroByteStream}


async def raw_echo(stream: INetStream) -> None:
    try:
        while data := await stream.read(65536):
            await stream.write(data)
    except IOException:
        pass
    finally:
        with trio.move_on_after(1):
            await stream.close()


async def stdin_closed() -> None:
    stdin = trio.lowlevel.FdStream(os.dup(sys.stdin.fileno()))
    while await stdin.receive_some(4096):
        pass


async def main(export: str, port: int, key: str) -> None:
    key_pair = create_new_key_pair(bytes.fromhex(key)) if key else None
    async with open_vat() as vat, open_swarm(key_pair, port=port, host="127.0.0.1") as swarm:
        serve(swarm, vat, lambda _peer: EXPORTS[export]())
        swarm.handle(RAW_ECHO, raw_echo)
        print("READY", swarm.addrs()[0], flush=True)
        await stdin_closed()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--export", choices=sorted(EXPORTS), default="executor")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--key", default="", help="secp256k1 secret as hex (default: fresh)")
    parser.add_argument("--log-level", default="warning")
    opts = parser.parse_args()
    logging.basicConfig(level=opts.log_level.upper(), stream=sys.stderr)
    trio.run(main, opts.export, opts.port, opts.key)
