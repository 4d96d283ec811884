"""The /ww pump's record of a peer's calls, capabilities anywhere in a message (real libp2p,
real pycapnp).

The real schemas hand capabilities out only as top-level result fields, so
this uses a schema of its own (`nested.capnp`) with capabilities inside
structs, groups, unions, lists and a struct of the same type, and as a
parameter the served side calls back.  A client swarm calls a server swarm's
`/ww/0.1.0` export over a real stream, as a remote peer calls a node's; the
audit log is read back from its file.
"""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import capnp
import trio

from tests.support.echo import Echo
from wetnode.audit.log import AuditLog, open_audit_log
from wetnode.audit.store import AuditStore, log_path
from wetnode.keys import NodeKey
from wetnode.membrane.epoch import Epoch, EpochClock
from wetnode.membrane.servers.export import export_of
from wetnode.membrane.servers.identity import SignerServer
from wetnode.membrane.signing import GRAFT
from wetnode.net import protocol
from wetnode.net.audit_tap import recorders
from wetnode.net.dial import open_remote
from wetnode.net.swarm import open_swarm
from wetnode.rpc.vat import Vat, open_vat
from wetnode.schemas import stem as _stem

SCHEMA = Path(__file__).with_name("nested.capnp")


def _servers(nested: Any) -> tuple[Any, Any]:
    class Counter(nested.Counter.Server):
        def __init__(self) -> None:
            self.count = 0

        async def bump(self, **_: Any) -> int:
            self.count += 1
            return self.count

    class Store(nested.Store.Server):
        async def shelf(self, _context: Any, **_: Any) -> None:
            shelf = _context.results.init("shelf")
            shelf.label = "top"
            slots = shelf.init("slots", 2)
            for i, slot in enumerate(slots):
                slot.name, slot.counter = f"slot{i}", Counter()
            shelf.counters = [Counter()]
            shelf.either.one = Counter()
            shelf.inner.counter = Counter()
            shelf.init("next").inner.counter = Counter()

        async def lend(self, counter: Any, times: int, **_: Any) -> int:
            count = 0
            for _ in range(times):
                count = (await counter.bump()).count
            return count

    return Counter, Store


Served = Callable[[Vat, AuditLog, EpochClock], Awaitable[protocol.Export]]


async def _recorded(
    tmp_path: Path,
    export: Served,
    calls: Callable[[Any], Awaitable[Any]],
    interface: Any,
    client_key: NodeKey | None = None,
) -> tuple[Any, str, list[dict[str, Any]]]:
    """What ``calls(cap)`` returned on a client (with ``client_key``) of what ``export``
    makes on the vat, served at epoch 3; the client's peer ID; the events the log then holds."""
    key = NodeKey.generate()
    client_key = client_key or NodeKey.generate()
    clock = EpochClock(Epoch(seq=3))
    with trio.fail_after(60):
        async with (
            open_vat() as vat,
            open_audit_log(tmp_path, key, flush_interval=3600, sign_every=100) as audit,
            open_swarm(key.libp2p_key_pair(), port=0, host="127.0.0.1") as server,
            open_swarm(client_key.libp2p_key_pair(), port=0, host="127.0.0.1") as client,
        ):
            served = await vat.run(export, vat, audit, clock)
            protocol.serve(server, vat, served, watch=recorders(audit, clock))
            async with open_remote(
                client, vat, server.peer_id, server.addrs(), interface=interface
            ) as remote:
                answer = await remote.run(calls)
    store = AuditStore.read(log_path(tmp_path, str(key.peer_id)))
    try:
        events = [r.event() for r in store.rows()]
    finally:
        store.close()
    return answer, str(client.peer_id), events


def _nested() -> Any:
    return capnp.load(str(SCHEMA))


def _store_export(store: Callable[[], Any]) -> Served:
    """Serves a fresh ``store()`` to each stream."""

    async def export(_vat: Vat, _audit: AuditLog, _clock: EpochClock) -> protocol.Export:
        return lambda _peer: store()

    return export


async def test_calls_on_capabilities_inside_results_and_params_are_each_recorded(tmp_path: Path):
    nested = _nested()
    Counter, Store = _servers(nested)

    async def calls(store: Any) -> tuple[str, list[int], int]:
        shelf = (await store.shelf()).shelf
        counters = [
            *(slot.counter for slot in shelf.slots),
            *shelf.counters,
            shelf.either.one,
            shelf.inner.counter,
            shelf.next.inner.counter,
        ]
        counts = [(await c.bump()).count for c in counters]
        lent = (await store.lend(Counter(), 2)).count
        return str(shelf.label), counts, lent

    (label, counts, lent), peer, events = await _recorded(
        tmp_path, _store_export(Store), calls, nested.Store
    )
    assert (label, counts, lent) == ("top", [1] * 6, 2)
    calls_seen = [e for e in events if e["kind"] == "call"]
    seen = [(e["caller"], e["method"], e.get("detail", "")) for e in calls_seen]
    assert seen == [
        (peer, "Store.shelf", ""),
        *[(peer, "Counter.bump", "")] * 6,  # each nested capability the peer called
        # the lent counter, called by the served side while lend waits: the other direction
        *[("pid0", "Counter.bump", f"a capability of {peer}")] * 2,
        (peer, "Store.lend", ""),
    ]
    assert {e["epoch"] for e in calls_seen} == {3}
    assert all(e["outcome"] == "returned" for e in calls_seen)
    assert all(e["bytes_in"] > 0 and e["bytes_out"] > 0 for e in calls_seen)


async def test_a_refused_nested_call_is_recorded_with_its_reason(tmp_path: Path):
    nested = _nested()

    class Broken(nested.Counter.Server):
        async def bump(self, **_: Any) -> int:
            raise RuntimeError("no more bumps")

    class Store(nested.Store.Server):
        async def shelf(self, _context: Any, **_: Any) -> None:
            _context.results.init("shelf").counters = [Broken()]

    async def refused(store: Any) -> str:
        counter = (await store.shelf()).shelf.counters[0]
        try:
            await counter.bump()
        except capnp.KjException as exc:
            return str(exc.description)
        return "returned"

    answer, peer, events = await _recorded(tmp_path, _store_export(Store), refused, nested.Store)
    assert "RuntimeError: no more bumps" in answer
    bump = [e for e in events if e.get("method") == "Counter.bump"]
    assert [(e["caller"], e["outcome"]) for e in bump] == [(peer, "failed")]
    assert "RuntimeError: no more bumps" in str(bump[0]["reason"])


class _Export(_stem.Membrane.Server):
    """Stands in for pid0's export: has the signer sign once more, hands out an echo."""

    async def graft(self, signer: Any, _context: Any, **_: Any) -> None:
        await signer.sign(7)
        _context.results.executor = Echo()


class _Pid0:
    """`export_of`'s view of pid0: a connection whose bootstrap is pid0's export."""

    connection: Any = None


async def _pid0_export(vat: Vat, audit: AuditLog, clock: EpochClock) -> protocol.Export:
    """(vat) `ExportedMembrane` per peer, as the node serves it, before `_Export` on a socket
    pair."""
    host_end, pid0_end = socket.socketpair()
    pid0 = _Pid0()
    pid0.connection = await vat.connect(host_end)
    await vat.connect(pid0_end, _Export())
    return export_of(pid0, audit, clock)


async def test_a_graft_is_a_graft_event_and_calls_on_its_signer_are_not_calls(tmp_path: Path):
    """The bootstrap graft, the node's challenge and pid0's call on the peer's signer are
    the graft itself: one ``graft`` event; the echo after it is the one call."""
    client = NodeKey.generate()

    async def graft_and_echo(membrane: Any) -> str:
        caps = await membrane.graft(SignerServer(GRAFT, client))
        return str((await caps.executor.echo("hi")).response)

    answer, peer, events = await _recorded(
        tmp_path, _pid0_export, graft_and_echo, _stem.Membrane, client
    )
    assert answer == "hi" and peer == str(client.peer_id)
    mine = [(e["caller"], e["kind"], e.get("method", "")) for e in events if e["caller"] != "node"]
    assert mine == [(peer, "graft", ""), (peer, "call", "Executor.echo")]
