"""pid0's routing: `etc/bootstrap` at boot, and the shell's `(find "name")`,
`(announce "name")` and dialing a name.

`etc/bootstrap` lists peers (one `/ip4/.../tcp/N/p2p/<id>` per line, `#`
comments) pid0 connects to at boot, in addition to the node's `--bootstrap`
peers: the node's DHT takes in every peer it is connected to.  A line that
is not such an address stops the boot, naming the line; a peer that is down
is one line of warning.

A service name stands for a DHT key that the host derives (`hash`: BLAKE3 of
the name, as the reference node does), so a name means the same on every
node.  `announce` makes this node a provider of it for as long as pid0 runs
(a new epoch or a stop withdraws it); `find` lists the nodes that provide it
and still confirm it.  Dialing a name finds its providers, then dials them
in turn and keeps the first that answers.
"""

from __future__ import annotations

import sys
from typing import Any

import wetnode.guest as ww
from wetnode import codec

MAX_PROVIDERS = 16
BOOTSTRAP_FILE = "etc/bootstrap"


def bootstrap_peers(root: str = "/") -> list[tuple[str, bytes, bytes]]:
    """(text, raw peer ID, binary address) of each peer `etc/bootstrap` lists; ValueError
    naming the line for one that does not parse."""
    try:
        with open(f"{root.rstrip('/')}/{BOOTSTRAP_FILE}", encoding="utf-8") as f:
            lines = f.readlines()
    except FileNotFoundError:
        return []
    peers = []
    for number, raw in enumerate(lines, 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            peer, addr = codec.split_peer(line)
        except ValueError as exc:
            raise ValueError(
                f"{BOOTSTRAP_FILE} line {number}: {exc}; write /ip4/HOST/tcp/PORT/p2p/PEER_ID"
            ) from None
        peers.append((line, peer, addr))
    return peers


async def connect_bootstrap(caps: Any, peers: list[tuple[str, bytes, bytes]]) -> None:
    """Connect to every listed peer at once; one that cannot be reached is a warning."""

    async def connect(text: str, peer: bytes, addr: bytes) -> None:
        try:
            await caps.host.connect(peer, [addr])
        except ww.RpcError as exc:
            print(f"kernel: bootstrap peer {text}: not reached ({exc.reason})", file=sys.stderr)

    await ww.gather([connect(*p) for p in peers])


class NoRoute(Exception):
    """The name cannot be used: no finder or announcer granted, or nobody provides it."""


def _cap(caps: Any, name: str) -> Any:
    cap = getattr(caps, name, None)
    if cap is None:
        raise NoRoute(f"this node's graft gives no {name}: it cannot {_VERB[name]} names")
    return cap


_VERB = {"finder": "find", "announcer": "announce"}


async def key_of(cap: Any, name: str) -> str:
    return (await cap.hash(name.encode())).key


async def providers(caps: Any, name: str, count: int = MAX_PROVIDERS) -> list[Any]:
    finder = _cap(caps, "finder")
    return list((await finder.find(await key_of(finder, name), count)).providers)


async def find(caps: Any, name: str) -> list[str]:
    """Each provider of ``name`` as "<peer id> <multiaddr>...", this node first if it is one."""
    return [
        " ".join([codec.b58encode(p.peerId), *(codec.multiaddr_to_text(a) for a in p.addrs)])
        for p in await providers(caps, str(name))
    ]


async def announce(caps: Any, name: str) -> str:
    announcer = _cap(caps, "announcer")
    key = await key_of(announcer, str(name))
    await announcer.provide(key)
    return f"announced {name} ({key})"


async def dial_name(caps: Any, name: str) -> Any:
    """The export of the first other provider of ``name`` that answers a dial."""
    own = bytes((await caps.host.id()).peerId)
    tried = []
    for provider in await providers(caps, name):
        peer = bytes(provider.peerId)
        if peer == own:
            continue
        try:
            return (await caps.host.dial(peer, list(provider.addrs))).cap
        except ww.RpcError as exc:
            tried.append(f"{codec.b58encode(peer)}: {exc.reason}")
    if tried:
        raise NoRoute(f"no provider of {name} answered ({'; '.join(tried)})")
    raise NoRoute(f"nobody provides {name}: find it with (find {name!r}) once one announces it")
