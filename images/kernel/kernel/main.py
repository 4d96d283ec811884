"""pid0's life: graft, export, start services, then shell or daemon.

Daemon mode (stdin not a terminal): print one JSON ready line on stderr
(the peer ID and the dialable listen addresses), then serve the export until
the host stops pid0 (SIGINT/SIGTERM, a new epoch).  The node's stdin is not
read: under `&`, `nohup` or systemd it is /dev/null, and its end of file must
not end the node.  Interactive mode
(`WW_TTY=1`): the shell.  Remote mode (`WW_REMOTE=<peer id>`, set by
`ww dial --shell`): the membrane grafts onto that peer's export, so there
is nothing of ours to export or start: only the shell runs.

As pid0, it keeps serving its export to remote peers in either mode: it
reads the terminal through an RPC stream, so its one thread only ever
blocks on the host channel.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import wetnode.guest as ww
from kernel import children
from kernel import policy as policy_file
from kernel.export import METHOD_NAMES, ExportedMembrane, load_policy
from kernel.hooks import OwnCaps
from kernel.hooks import start as start_hooks
from kernel.routing import bootstrap_peers, connect_bootstrap
from kernel.shell import LineReader, Shell
from wetnode import codec
from wetnode.capnproto.loop import current_loop
from wetnode.guest.policy import Policy


async def main(root: str = "/") -> int:
    membrane = await ww.connect()
    remote = os.environ.get("WW_REMOTE")
    try:
        caps = await membrane.graft(membrane.signer().signer)
    except ww.RpcError as exc:
        where = f"peer {remote}'s export" if remote else "the node's membrane"
        print(f"kernel: cannot graft onto {where}: {exc.reason}", file=sys.stderr, flush=True)
        return 1
    if remote:  # `ww dial --shell`: the caps are a remote node's
        return await Shell(caps, root).repl(LineReader(membrane.stdin().stream))
    try:
        policy = load_policy(root)
        found = policy_file.load(root, METHOD_NAMES.values(), policy.name)
        bootstrap = bootstrap_peers(root)
        hooks = None
        if found.hooks:
            hooks = await start_hooks(
                caps.executor, found.hooks, policy.name, policy_file.POLICY_FILE
            )
    except ValueError as exc:  # a bad etc/ file or hook: say which line, do not boot
        print(f"kernel: {exc}", file=sys.stderr, flush=True)
        return 1
    ww.export(ExportedMembrane(caps, policy, found.export, hooks))
    if hooks is not None:  # pid0's own dials and spawns meet the hooks too
        caps = OwnCaps(caps, hooks)
    await connect_bootstrap(caps, bootstrap)
    await start_services(caps, root, found.services)
    if os.environ.get("WW_TTY") == "1":
        shell = Shell(caps, root, path_policy=found.path)
        return await shell.repl(LineReader(membrane.stdin().stream))
    peer = codec.b58encode((await caps.host.id()).peerId)
    addrs = [codec.multiaddr_to_text(a) for a in (await caps.host.addrs()).addrs]
    ready = {"event": "ready", "peer_id": peer, "addrs": addrs}
    print(json.dumps(ready), file=sys.stderr, flush=True)
    await ww.serve_forever()  # daemon: until the host stops pid0
    return 0


async def start_services(caps: Any, root: str, policies: dict[str, Policy]) -> None:
    """Start every `svc/<name>/boot/main.wasm` as a child; report, never fail boot.

    A service with a `[service.NAME]` policy holds pid0's caps behind it
    (`kernel.children`); its stderr becomes pid0's, each line prefixed
    `kernel: service NAME:`, so what a service says is in the node's log.
    """
    base = os.path.join(root, "svc")
    try:
        names = sorted(os.listdir(base))
    except FileNotFoundError:
        return
    for name in names:
        path = os.path.join(base, name, "boot", "main.wasm")
        if not os.path.isfile(path):
            continue
        try:
            binary = caps.executor.loadPath(f"/svc/{name}/boot/main.wasm").binary
            env = [f"PATH={os.environ.get('PATH', '/bin')}"]
            result = await children.spawn(binary, [], env, caps, policies.get(name), f"svc/{name}")
            _SERVICES.append(result.process)
            print(f"kernel: started service {name}", file=sys.stderr, flush=True)
            current_loop().spawn(_relay(name, result.process.stderr().stream))
        except ww.RpcError as exc:
            print(
                f"kernel: service {name} failed to start: {exc.reason}", file=sys.stderr, flush=True
            )


RELAYED_LINE = 64 * 1024  # bytes of a service's line pid0 holds before it says them


async def _relay(name: str, stream: Any) -> None:
    """A service's stderr, line by line, as pid0's, until the service closes it.  A line
    longer than ``RELAYED_LINE`` is said in pieces: a service writing without newlines
    must not grow pid0's memory (pid0 ending ends the node)."""
    pending = b""
    try:
        while data := bytes((await stream.read(65536)).data):
            *lines, pending = (pending + data).split(b"\n")
            if len(pending) >= RELAYED_LINE:
                lines.append(pending)
                pending = b""
            for line in lines:
                _say_for(name, line)
    except ww.RpcError:  # the service is gone: what it said is said
        pass
    if pending:
        _say_for(name, pending)


def _say_for(name: str, line: bytes) -> None:
    text = line.decode("utf-8", "replace")
    print(f"kernel: service {name}: {text}", file=sys.stderr, flush=True)


_SERVICES: list[Any] = []  # held so the services' processes stay referenced
