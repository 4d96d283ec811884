"""The shell's routing commands: `(find "name")`, `(announce "name")`, and dialing a name.

A service name stands for a DHT key that the host derives (`hash`: BLAKE3 of
the name, as the reference node does), so a name means the same on every
node.  `announce` makes this node a provider of it for as long as pid0 runs
(a new epoch or a stop withdraws it); `find` lists the nodes that provide it
and still confirm it.  Dialing a name finds its providers, then dials them
in turn and keeps the first that answers.
"""

from __future__ import annotations

from typing import Any

import wetnode.guest as ww
from wetnode import codec

MAX_PROVIDERS = 16


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
