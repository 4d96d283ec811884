"""pid0's life: graft, export, start services, then shell or daemon.

Daemon mode (stdin not a terminal): print one JSON ready line on stderr,
then wait for the node's stdin to close and exit 0.  Interactive mode
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
from kernel.export import ExportedMembrane, load_policy
from kernel.shell import LineReader, Shell, _drain
from wetnode import codec


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
    policy = load_policy(root)
    ww.export(ExportedMembrane(caps, policy))
    await start_services(caps, root)
    stdin = membrane.stdin().stream
    if os.environ.get("WW_TTY") == "1":
        return await Shell(caps, root).repl(LineReader(stdin))
    peer = codec.b58encode((await caps.host.id()).peerId)
    print(json.dumps({"event": "ready", "peer_id": peer}), file=sys.stderr, flush=True)
    await _drain(stdin)  # daemon: run until the node's stdin closes
    return 0


async def start_services(caps: Any, root: str) -> None:
    """Start every `svc/<name>/boot/main.wasm` as a child; report, never fail boot."""
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
            result = await binary.spawn([], [f"PATH={os.environ.get('PATH', '/bin')}"])
            _SERVICES.append(result.process)
            print(f"kernel: started service {name}", file=sys.stderr, flush=True)
        except ww.RpcError as exc:
            print(
                f"kernel: service {name} failed to start: {exc.reason}", file=sys.stderr, flush=True
            )


_SERVICES: list[Any] = []  # held so the services' processes stay referenced
