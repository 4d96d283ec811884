"""A test guest whose behaviour is picked by argv[1].

Each mode exercises one host promise (sandbox, limits, channel, exit codes) so
the cell tests can build a single component once and reuse it.
"""

import os
import socket
import sys

import wit_world
from wit_world.imports import channel

from wetnode.guest.wasm import ChannelTransport


def attempt(name: str, action) -> None:
    """Print `name: allowed` or `name: denied <error>` for one escape try."""
    try:
        action()
    except Exception as exc:  # every failure counts as denied
        print(f"{name}: denied {type(exc).__name__}: {exc}")
    else:
        print(f"{name}: allowed")


def read(path: str) -> None:
    with open(path, "rb") as handle:
        handle.read()


def write(path: str) -> None:
    with open(path, "wb") as handle:
        handle.write(b"x")


def connect(port: str) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(2)
    sock.connect(("127.0.0.1", int(port)))


def escape(host_path: str, port: str) -> int:
    attempt("read-image-file", lambda: read("/inside.txt"))
    attempt("read-dotdot", lambda: read("/../secret.txt"))
    attempt("read-relative-dotdot", lambda: read("../secret.txt"))
    attempt("list-proc", lambda: os.listdir("/proc"))
    attempt("read-proc-self-environ", lambda: read("/proc/self/environ"))
    attempt("read-host-absolute", lambda: read(host_path))
    attempt("read-symlink-out", lambda: read("/link-out"))
    attempt("write-root", lambda: write("/new.txt"))
    attempt("overwrite-image-file", lambda: write("/inside.txt"))
    attempt("mkdir-root", lambda: os.mkdir("/newdir"))
    attempt("tcp-connect", lambda: connect(port))
    # bytes: the str form fails earlier, on a missing idna codec, proving nothing.
    attempt("resolve-name", lambda: socket.getaddrinfo(b"localhost", 80))
    print("env:", ",".join(sorted(f"{k}={v}" for k, v in os.environ.items())))
    print("argv:", ",".join(sys.argv))
    return 0


def echo() -> int:
    """Echo the channel until EOF, then exit 7 so the test sees a real exit."""
    while True:
        data = channel.read(65536)
        if not data:
            return 7
        channel.write(data)


def spin() -> int:
    channel.write(b"spinning")
    n = 0
    while True:
        n += 1


def membomb() -> int:
    hoard = []
    try:
        while True:
            hoard.append(bytearray(16 * 1024 * 1024))
    except MemoryError:
        print(f"memory error after {len(hoard) * 16} MiB")
        return 3


def stdio() -> int:
    line = sys.stdin.readline()
    sys.stdout.write(line.upper())
    sys.stdout.flush()
    sys.stderr.write("to stderr\n")
    return 0


def ready() -> int:
    """Signal the first instruction on the channel: what the start benchmark waits for."""
    channel.write(b"!")
    return 0


FLOOD_BLOCK = bytes(range(256)) * 16


def flood() -> int:
    """Write argv[2] blocks of 4 KiB (every byte value) through the SDK's channel transport."""
    transport = ChannelTransport()
    for _ in range(int(sys.argv[2])):
        transport.write(FLOOD_BLOCK)
    return 0


def flood_try() -> int:
    """The same blocks through `try_write` and `wait`, the way the SDK's vat writes."""
    transport = ChannelTransport()
    for _ in range(int(sys.argv[2])):
        block = memoryview(FLOOD_BLOCK)
        while block:
            sent = transport.try_write(block)
            block = block[sent:]
            if not sent:
                transport.wait()
    return 0


def wide() -> int:
    """A `write-latin1` of a character that is not one byte: the host must trap it."""
    channel.write_latin1("ok \u0100")
    return 0


MODES = {
    "echo": echo,
    "spin": spin,
    "membomb": membomb,
    "stdio": stdio,
    "ready": ready,
    "flood": flood,
    "flood-try": flood_try,
    "wide": wide,
}


class WitWorld(wit_world.WitWorld):
    def run(self) -> int:
        mode = sys.argv[1] if len(sys.argv) > 1 else "ready"
        if mode == "escape":
            return escape(sys.argv[2], sys.argv[3])
        if mode == "exit":
            os._exit(int(sys.argv[2]))
        if mode == "return":
            return int(sys.argv[2])
        if mode == "raise":
            raise RuntimeError("guest failed on purpose")
        return MODES[mode]()
