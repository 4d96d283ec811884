"""`StreamRecorder`, the pump's record of a stream's calls, fed real Cap'n Proto frames through
the flow count as the pump feeds it; the events are read back from a real audit log file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wetnode.audit.log import open_audit_log
from wetnode.audit.store import AuditStore, log_path
from wetnode.capnproto import messages
from wetnode.capnproto.schemas import rpc as R
from wetnode.guest.schemas.stem import Membrane
from wetnode.guest.schemas.system import Executor
from wetnode.keys import NodeKey
from wetnode.net.audit_tap import StreamRecorder
from wetnode.net.flow import CallFlow

PEER = "16Uiu2HAmPeer"
ECHO = 1  # Executor.echo's ordinal


def _bootstrap_return(answer: int, export_id: int) -> bytes:
    """The vat's answer to a Bootstrap: the capability it exports as ``export_id``."""
    mb, payload, _content = messages.results_return(answer)
    R.Payload.Builder(payload).init("capTable", 1)[0].senderHosted = export_id
    return mb.to_bytes()


def _call(question: int, target: int, interface: int, method: int) -> bytes:
    return messages.call(question, ("import", target), interface, method)[0].to_bytes()


def _return(answer: int) -> bytes:
    return messages.results_return(answer)[0].to_bytes()


async def _events(tmp_path: Path, frames: list[tuple[str, bytes]], *, ended: bool) -> list[Any]:
    """The call events of a recorder fed ``frames`` ("peer" or "vat", bytes) in order."""
    key = NodeKey.generate()
    async with open_audit_log(tmp_path, key, flush_interval=3600, sign_every=100) as audit:
        tap = audit.tap(PEER)
        recorder = StreamRecorder(tap, tap.facing("pid0"), lambda: 2)
        flow = CallFlow(watcher=recorder)
        for side, frame in frames:
            (flow.from_peer if side == "peer" else flow.from_vat)(frame)
        if ended:
            recorder.ended()
    store = AuditStore.read(log_path(tmp_path, str(key.peer_id)))
    try:
        return [e for e in (r.event() for r in store.rows()) if e["kind"] == "call"]
    finally:
        store.close()


async def test_a_call_still_open_when_the_stream_ends_is_recorded_as_failed(tmp_path: Path):
    frames = [("peer", _call(1, 0, Executor.ID, ECHO)), ("peer", _call(2, 0, Executor.ID, ECHO))]
    events = await _events(tmp_path, [*frames, ("vat", _return(1))], ended=True)
    assert [(e["method"], e["outcome"], e.get("reason", "")) for e in events] == [
        ("Executor.echo", "returned", ""),
        ("Executor.echo", "failed", "disconnected: the stream ended before the call returned"),
    ]
    assert {e["epoch"] for e in events} == {2}


async def test_the_bootstrap_graft_is_no_call_but_a_graft_on_its_reused_export_id_is(
    tmp_path: Path,
):
    """Export ids are reused once released: after the peer let the bootstrap go, id 0 is
    another capability (a Membrane that Host.dial returned, say), and its graft is a call."""
    frames = [
        ("peer", messages.bootstrap(0)),
        ("vat", _bootstrap_return(0, 0)),
        ("peer", messages.finish(0)),
        ("peer", _call(1, 0, Membrane.ID, 0)),  # the graft on the bootstrap: a graft event
        ("vat", _return(1)),
        ("peer", messages.release(0, 1)),  # the bootstrap is gone; id 0 is free
        ("peer", _call(2, 0, Membrane.ID, 0)),  # a graft on whatever id 0 now is
        ("vat", _return(2)),
    ]
    events = await _events(tmp_path, frames, ended=False)
    assert [(e["caller"], e["method"]) for e in events] == [(PEER, "Membrane.graft")]
