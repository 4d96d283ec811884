"""The export's recording forwarder with capabilities anywhere in a message (real pycapnp).

The real schemas hand capabilities out only as top-level result fields, so
this uses a schema of its own (`nested.capnp`) with capabilities inside
structs, groups, unions, lists and a struct of the same type, and as a
parameter the served side calls back.  A remote client calls through a
forwarder exactly as `ExportedMembrane` hands it out; the audit log is read
back from its file.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import capnp

from wetnode.audit.log import open_audit_log
from wetnode.audit.store import AuditStore, log_path
from wetnode.keys import NodeKey
from wetnode.membrane.servers.audited import forwarder
from wetnode.rpc.vat import Vat, open_vat

SCHEMA = Path(__file__).with_name("nested.capnp")
PEER = "16Uiu2HAmPeer"


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


async def _remote(vat: Vat, audit: Any, nested: Any, served_store: Any, epoch: int) -> Any:
    """(vat) ``served_store`` as pid0 serves it, and the remote's client of its forwarder."""
    pid0_end, host_end = socket.socketpair()
    await vat.connect(pid0_end, served_store)
    pid0 = (await vat.connect(host_end)).bootstrap().cast_as(nested.Store)
    tap = audit.tap(PEER)
    served, remote_end = socket.socketpair()
    await vat.connect(served, forwarder(pid0, nested.Store.schema, tap, tap.facing("pid0"), epoch))
    return (await vat.connect(remote_end)).bootstrap().cast_as(nested.Store)


async def _recorded(tmp_path: Path, calls: Any) -> tuple[Any, list[dict[str, Any]]]:
    """What ``calls(vat, audit)`` returned, and the call events the log file then holds."""
    key = NodeKey.generate()
    async with (
        open_vat() as vat,
        open_audit_log(tmp_path, key, flush_interval=3600, sign_every=100) as audit,
    ):
        answer = await vat.run(calls, vat, audit)
    store = AuditStore.read(log_path(tmp_path, str(key.peer_id)))
    try:
        events = [e for e in (r.event() for r in store.rows()) if e["kind"] == "call"]
    finally:
        store.close()
    return answer, events


async def _calls(vat: Vat, audit: Any) -> tuple[str, list[int], int]:
    nested = capnp.load(str(SCHEMA))
    Counter, Store = _servers(nested)
    store = await _remote(vat, audit, nested, Store(), 3)

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


async def test_capabilities_inside_results_and_params_are_forwarded_and_every_call_recorded(
    tmp_path: Path,
):
    (label, counts, lent), calls = await _recorded(tmp_path, _calls)
    assert (label, counts, lent) == ("top", [1] * 6, 2)  # forwarded calls reached their servers
    seen = [(e["caller"], e["method"], e.get("detail", "")) for e in calls]
    assert seen == [
        (PEER, "Store.shelf", ""),
        *[(PEER, "Counter.bump", "")] * 6,  # each nested capability the peer called
        # the lent counter, called by the served side while lend waits: the other direction
        *[("pid0", "Counter.bump", f"a capability of {PEER}")] * 2,
        (PEER, "Store.lend", ""),
    ]
    assert {e["epoch"] for e in calls} == {3}
    assert all(e["outcome"] == "returned" for e in calls)


async def test_a_refused_nested_call_is_recorded_with_its_reason(tmp_path: Path):
    async def refused(vat: Vat, audit: Any) -> str:
        nested = capnp.load(str(SCHEMA))

        class Broken(nested.Counter.Server):
            async def bump(self, **_: Any) -> int:
                raise RuntimeError("no more bumps")

        class Store(nested.Store.Server):
            async def shelf(self, _context: Any, **_: Any) -> None:
                _context.results.init("shelf").counters = [Broken()]

        store = await _remote(vat, audit, nested, Store(), 0)
        counter = (await store.shelf()).shelf.counters[0]
        try:
            await counter.bump()
        except capnp.KjException as exc:
            return str(exc.description)
        return "returned"

    answer, calls = await _recorded(tmp_path, refused)
    assert "RuntimeError: no more bumps" in answer
    bump = [e for e in calls if e["method"] == "Counter.bump"]
    assert [(e["caller"], e["outcome"]) for e in bump] == [(PEER, "failed")]
    assert "RuntimeError: no more bumps" in str(bump[0]["reason"])
