"""The kernel's shell: S-expressions over pid0's capabilities.

`(capability method args...)` calls a method; a bare command is looked up on
PATH as `<dir>/<cmd>.wasm`, then `<dir>/<cmd>/main.wasm`, and run as a
child with `executor.loadPath` and `binary.spawn` (on a remote node's
executor, `ww dial --shell`, the tool's bytes go with `executor.load`); with
a `[path]` policy it holds pid0's caps behind it instead (`kernel.children`).
Built-ins (`find`, `dial`, `cd`, ...) and capability names win over PATH
tools of the same name, as a POSIX shell's built-ins do; a command with a
`/` is a path, never a built-in, so `(/bin/find ...)` runs the tool.
One line of output per error; the shell keeps going.
"""

from __future__ import annotations

import inspect
import os
import posixpath
from collections.abc import Callable
from typing import Any, TextIO

import wetnode.guest as ww
from kernel import children, routing
from kernel.lisp import ReadError, Symbol, is_complete, printable, read_all, show
from kernel.mcp import mcp_command
from wetnode import codec
from wetnode.guest.policy import Policy
from wetnode.guest.schemas import stem

HELP = """\
(host id)                    this node's peer ID
(host addrs)                 the addresses it listens on
(host peers)                 connected peers
(host connect "<multiaddr>") dial a peer (the address ends in /p2p/<id>)
(executor echo "text")       round trip through the host
(dial "<multiaddr>" echo "t") graft onto a peer's exported membrane, call its executor.echo
(dial "<multiaddr>" id)      ... or its host.id
(dial "name" echo "t")       ... on the first node that provides the name and answers
(find "name")                nodes that provide a name (each: peer ID, addresses)
(announce "name")            provide a name from this node while pid0 runs
(ipfs cat "/ipfs/...")       a file's content
(ipfs ls "/ipfs/...")        a directory's entries
(mcp SERVER tools)           the tools of the node's MCP server SERVER (--mcp)
(mcp SERVER call TOOL k "v") call one, arguments as key value pairs (or one JSON string)
(cd "dir")                   change directory
(help)                       this text
(exit)                       stop the kernel
(<cmd> args...)              run <dir>/<cmd>.wasm or <dir>/<cmd>/main.wasm from PATH
(/bin/<cmd> args...)         run that tool by its path (also one named like a built-in)
"""


GRAFT_DOMAIN = "ww-membrane-graft"


class ShellError(Exception):
    """A one-line error shown to the user."""


class Exit(Exception):
    def __init__(self, code: int = 0) -> None:
        self.code = code


class LineReader:
    """Lines from the node's terminal, read through the GuestMembrane.stdin stream."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream
        self._buffer = b""
        self._eof = False

    async def readline(self) -> str | None:
        while b"\n" not in self._buffer and not self._eof:
            data = (await self._stream.read(4096)).data
            if not data:
                self._eof = True
            self._buffer += data
        if not self._buffer:
            return None
        line, sep, rest = self._buffer.partition(b"\n")
        self._buffer = rest
        return line.decode("utf-8", "replace") + sep.decode()


class Shell:
    def __init__(
        self,
        caps: Any,
        root: str = "/",
        out: TextIO | None = None,
        env: dict | None = None,
        path_policy: Policy | None = None,
    ) -> None:
        self.caps = caps
        self.root = root
        self.path_policy = path_policy  # `[path]` of etc/policy.toml: what PATH tools hold
        self.cwd = "/"
        self.out = out
        self.env = dict(os.environ if env is None else env)
        self.commands: dict[tuple[str, str], Callable[..., Any]] = {
            ("host", "id"): self.host_id,
            ("host", "addrs"): self.host_addrs,
            ("host", "peers"): self.host_peers,
            ("host", "connect"): self.host_connect,
            ("executor", "echo"): self.executor_echo,
            ("ipfs", "cat"): self.ipfs_cat,
            ("ipfs", "ls"): self.ipfs_ls,
        }

    def write(self, text: str) -> None:
        out = self.out
        if out is None:
            import sys

            out = sys.stdout
        out.write(text)
        out.flush()

    async def repl(self, reader: LineReader) -> int:
        pending = ""
        while True:
            self.write(f"{self._where()}{self.cwd} \u276f " if not pending else "\u2026 ")
            line = await reader.readline()
            if line is None:
                self.write("\n")
                return 0
            pending += line
            if not is_complete(pending):
                continue
            text, pending = pending, ""
            try:
                for expr in read_all(text):
                    result = await self.eval(expr)
                    if result is not None:
                        self.write(show(result) + "\n")
            except Exit as done:
                return done.code
            except (ShellError, ReadError, ValueError) as exc:
                self.write(f"error: {printable(str(exc))}\n")
            except ww.RpcError as exc:
                self.write(f"error: {exc.type}: {printable(exc.reason)}\n")

    async def eval(self, expr: Any) -> Any:
        if not isinstance(expr, list) or not expr:
            return expr
        head, *rest = expr
        if not isinstance(head, Symbol):
            raise ShellError(f"{show(head)} is not a command: a form starts with a name")
        name = head.name
        if "/" in name:  # a path names the tool itself, even one called like a built-in
            return await self.run_path(name, [str(await self.eval(a)) for a in rest])
        if name == "exit":
            raise Exit(int(rest[0]) if rest else 0)
        if name == "help":
            self.write(HELP)
            return None
        if name == "cd":
            return self.cd(*rest)
        if name == "dial":
            return await self.dial(*[await self.eval(a) for a in rest])
        if name == "mcp":
            return await mcp_command(self.caps, [await self.eval(a) for a in rest])
        if name in ("find", "announce"):
            return await self.route(name, *[await self.eval(a) for a in rest])
        if rest and isinstance(rest[0], Symbol) and (name, rest[0].name) in self.commands:
            args = [await self.eval(a) for a in rest[1:]]
            command = self.commands[(name, rest[0].name)]
            try:
                inspect.signature(command).bind(*args)
            except TypeError:
                usage = " ".join([name, rest[0].name, *inspect.signature(command).parameters])
                raise ShellError(f"usage: ({usage})") from None
            return await command(*args)
        if name in ("host", "executor", "ipfs"):
            methods = sorted(m for c, m in self.commands if c == name)
            raise ShellError(f"{name} has methods {', '.join(methods)}; try (help)")
        args = [str(await self.eval(a)) for a in rest]
        return await self.run_path(name, args)

    def _where(self) -> str:
        """On a remote node's export (`ww dial --shell`), the prompt names it."""
        peer = self.env.get("WW_REMOTE")
        return f"{peer[:6]}\u2026{peer[-6:]} " if peer else ""

    def cd(self, path: str = "/") -> None:
        target = posixpath.normpath(posixpath.join(self.cwd, str(path)))
        if not os.path.isdir(self._host(target)):
            raise ShellError(f"cd: {target}: no such directory")
        self.cwd = target

    def _host(self, path: str) -> str:
        return posixpath.join(self.root, path.lstrip("/"))

    async def host_id(self) -> str:
        return codec.b58encode((await self.caps.host.id()).peerId)

    async def host_addrs(self) -> list[str]:
        return [codec.multiaddr_to_text(a) for a in (await self.caps.host.addrs()).addrs]

    async def host_peers(self) -> list[str]:
        peers = (await self.caps.host.peers()).peers
        return [
            " ".join([codec.b58encode(p.peerId), *(codec.multiaddr_to_text(a) for a in p.addrs)])
            for p in peers
        ]

    async def host_connect(self, address: str) -> str:
        peer, addr = codec.split_peer(str(address))
        await self.caps.host.connect(peer, [addr])
        return f"connected to {codec.b58encode(peer)}"

    async def dial(self, address: Any = None, method: Any = None, *args: Any) -> str:
        """Graft onto a remote node's export (through our Host) and call one method."""
        if address is None or str(method) not in ("echo", "id"):
            raise ShellError(
                'usage: (dial "<multiaddr>/p2p/<id>" echo "text"), (dial "name" echo "text") '
                "or (dial ... id)"
            )
        if str(address).startswith("/"):
            peer, addr = codec.split_peer(str(address))
            ptr = (await self.caps.host.dial(peer, [addr])).cap
        else:  # a service name: its providers, found through the DHT
            ptr = await self._routed(routing.dial_name, str(address))
        index = ptr.cap_index()
        if index is None:
            raise ShellError("dial: the peer exports nothing")
        remote = stem.Membrane.Client(ptr.msg.caps[index])
        signer = (await self.caps.identity.signer(GRAFT_DOMAIN)).signer
        grafted = await remote.graft(signer)
        name = "executor" if str(method) == "echo" else "host"
        cap = getattr(grafted, name)
        if cap is None:  # a graft may leave any capability out
            raise ShellError(f"dial: the peer's graft returned no {name}")
        if name == "executor":
            return (await cap.echo(str(args[0]) if args else "")).response
        return codec.b58encode((await cap.id()).peerId)

    async def route(self, command: str, name: Any = None, *extra: Any) -> Any:
        """`(find "name")` and `(announce "name")` (kernel.routing)."""
        if name is None or extra:
            raise ShellError(f'usage: ({command} "name")')
        return await self._routed(getattr(routing, command), str(name))

    async def _routed(self, fn: Callable[..., Any], name: str) -> Any:
        try:
            return await fn(self.caps, name)
        except routing.NoRoute as exc:
            raise ShellError(str(exc)) from None

    async def executor_echo(self, message: str) -> str:
        return (await self.caps.executor.echo(str(message))).response

    async def ipfs_cat(self, path: str) -> str:
        data = (await self.caps.ipfs.unixfs().api.cat(str(path))).data
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return f"<{len(data)} bytes>"

    async def ipfs_ls(self, path: str) -> list[str]:
        entries = (await self.caps.ipfs.unixfs().api.ls(str(path))).entries
        return [e.name + ("/" if str(e.type) == "directory" else "") for e in entries]

    def locate(self, name: str) -> str | None:
        """The tool ``name`` runs: for a path (it holds a `/`, relative to the working
        directory), that file, else `<path>.wasm`, `<path>/main.wasm` or an agent image's
        `<path>/boot/main.wasm`; for a bare name, the first of those in a PATH dir."""
        if "/" in name:
            bases = [posixpath.normpath(posixpath.join(self.cwd, name))]
            suffixes: tuple[str, ...] = ("", ".wasm", "/main.wasm", "/boot/main.wasm")
        else:
            dirs = [d for d in self.env.get("PATH", "/bin").split(":") if d]
            bases = [posixpath.join(self.cwd, d, name) for d in dirs]
            suffixes = (".wasm", "/main.wasm", "/boot/main.wasm")
        for base in bases:
            for suffix in suffixes:
                if os.path.isfile(self._host(base + suffix)):
                    return base + suffix
        return None

    async def run_path(self, name: str, args: list[str]) -> None:
        path = self.locate(name)
        if path is None and "/" in name:
            raise ShellError(f"{name}: no such tool (a .wasm file, or a dir with main.wasm)")
        if path is None:
            raise ShellError(f"{name}: command not found (not a capability, nor on PATH)")
        env = [f"PATH={self.env.get('PATH', '/bin')}"]
        if self.env.get("WW_REMOTE"):  # the executor is a remote node's: send the tool
            with open(self._host(path), "rb") as tool:
                binary = self.caps.executor.load(tool.read()).binary
        else:  # the host reads the tool from our image: no bytes cross the channel
            binary = self.caps.executor.loadPath(posixpath.normpath(path)).binary
        spawned = children.spawn(binary, args, env, self.caps, self.path_policy, path)
        process = (await spawned).process
        out, err = await ww.gather(
            [_drain(process.stdout().stream), _drain(process.stderr().stream)]
        )
        self.write(out.decode("utf-8", "replace"))
        if err:
            self.write(err.decode("utf-8", "replace"))
        code = (await process.wait()).exitCode
        if code != 0:
            self.write(f"{name}: exited with code {code}\n")
        return None


async def _drain(stream: Any) -> bytes:
    chunks = []
    while True:
        data = (await stream.read(65536)).data
        if not data:
            return b"".join(chunks)
        chunks.append(bytes(data))
