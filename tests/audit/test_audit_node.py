"""The audit log of a real `ww run` node, read back with the real `ww audit`."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

import capnp
import pytest
import trio
from multiaddr import Multiaddr

from tests.kernel.node_process import WW, ServingNode, free_port, ready_line, start_node
from wetnode import codec
from wetnode.audit.chain import encode
from wetnode.audit.errors import AuditError
from wetnode.audit.log import open_audit_log
from wetnode.audit.store import AuditStore, log_path
from wetnode.client import dial
from wetnode.keys import NodeKey
from wetnode.membrane.servers.identity import SignerServer
from wetnode.membrane.signing import GRAFT
from wetnode.schemas import stem as _stem

pytestmark = pytest.mark.slow


def _ww(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WW, *argv], env=env, capture_output=True, text=True, timeout=120)


def _events(env: dict[str, str], log: Path, *argv: str) -> list[dict[str, Any]]:
    done = _ww(env, "audit", "--log", str(log), "--json", *argv)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


class Node:
    """A daemon `ww run` of the kernel with its own key, on a free loopback port."""

    def __init__(
        self, image: Path, env: dict[str, str], key_file: Path, *flags: str, layers: tuple = ()
    ) -> None:
        self.key = NodeKey.load(key_file)
        port = free_port()
        argv = ["--port", str(port), "--identity", str(key_file), *flags, str(image), *layers]
        self.proc = start_node(argv, env)
        ready_line(self.proc)
        self.address = f"/ip4/127.0.0.1/tcp/{port}/p2p/{self.key.peer_id}"
        self.log = log_path(Path(env["WW_HOME"]) / "audit", str(self.key.peer_id))

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        assert self.proc.wait(timeout=60) == 0

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)


def _key(tmp_path: Path, name: str) -> Path:
    NodeKey.generate().save(tmp_path / name)
    return tmp_path / name


def test_a_remote_peers_calls_are_listed_with_its_peer_id_and_tampering_is_named(
    kernel_image, node_env, tmp_path
):
    dialer = _key(tmp_path, "dialer")
    dialer_id = str(NodeKey.load(dialer).peer_id)
    node = Node(kernel_image, node_env, _key(tmp_path, "node"))
    try:
        echo = _ww(node_env, "dial", "--identity", str(dialer), node.address, "executor.echo", "hi")
        refused = _ww(node_env, "dial", "--identity", str(dialer), node.address, "host.peers")
        assert (echo.returncode, echo.stdout) == (0, "hi\n"), echo.stderr
        assert refused.returncode == 1
        node.stop()
    finally:
        node.close()

    calls = _events(node_env, node.log, "--caller", dialer_id, "--kind", "call")
    assert [(e["method"], e["outcome"]) for e in calls] == [
        ("Executor.echo", "returned"),
        ("Host.peers", "failed"),
    ]
    assert calls[1]["reason"] == "notAllowed: host.peers is not exported by this node"
    assert calls[0]["bytes_in"] > 0 and calls[0]["bytes_out"] > 0
    grafts = _events(node_env, node.log, "--caller", dialer_id, "--kind", "graft")
    assert len(grafts) == 2  # one per `ww dial`
    # pid0 passed the allowed call on to the host's Executor: that hop is on record too.
    assert _events(node_env, node.log, "--caller", "pid0", "--method", "Executor.echo")
    text = _ww(node_env, "audit", "--log", str(node.log), "--outcome", "failed")
    assert f"{dialer_id}  Host.peers  failed (notAllowed:" in text.stdout

    verified = _ww(node_env, "audit", "verify", "--log", str(node.log))
    assert verified.returncode == 0, verified.stderr
    assert "chain intact" in verified.stdout and str(node.key.peer_id) in verified.stdout

    # One flipped byte of one stored event, in the file itself: verify names that event.
    flipped = tmp_path / "flipped.sqlite"
    shutil.copy(node.log, flipped)
    target = calls[0]
    body = encode(target)  # `--json` prints the stored fields: re-encoded, the stored bytes
    data = bytearray(flipped.read_bytes())
    at = data.index(body) + body.index(b'"method":"Executor') + len('"method":"')
    data[at] ^= 0x20  # Executor -> executor
    flipped.write_bytes(bytes(data))
    broken = _ww(node_env, "audit", "verify", "--log", str(flipped))
    assert broken.returncode == 1
    assert broken.stderr.strip().endswith(
        f"event {target['seq']} is broken: its content does not match its stored hash"
    ), broken.stderr
    assert "Traceback" not in broken.stderr

    # The last events deleted (the append-only triggers dropped first): the signed head says so.
    cut = tmp_path / "cut.sqlite"
    shutil.copy(node.log, cut)
    last = max(e["seq"] for e in _events(node_env, node.log))
    with sqlite3.connect(cut) as db:
        db.execute("DROP TRIGGER events_no_delete")
        db.execute("DELETE FROM events WHERE seq > ?", (last - 3,))
    broken = _ww(node_env, "audit", "verify", "--log", str(cut))
    assert broken.returncode == 1
    assert f"event {last - 2} is broken: missing: a signed head covers events up to {last}" in (
        broken.stderr
    )


async def test_a_refused_call_on_a_capability_host_dial_returned_is_on_the_peers_record(
    kernel_image, kernel_node: ServingNode, node_env, tmp_path
):
    """``Host.dial`` returns an untyped capability: the pump records calls on it too."""
    allow = tmp_path / "allow"
    (allow / "etc").mkdir(parents=True)
    (allow / "etc" / "membrane.allow").write_text("host.dial\n")
    client = NodeKey.generate()
    relay = Node(kernel_image, node_env, _key(tmp_path, "relay"), layers=(allow,))
    try:
        far_addr = Multiaddr(kernel_node.address.rpartition("/p2p/")[0]).to_bytes()
        far_id = codec.b58decode(kernel_node.peer_id)

        async def graft_through(caps: Any) -> str:
            dialled = (await caps.host.dial(far_id, [far_addr])).cap
            try:
                await dialled.as_interface(_stem.Membrane).graft(SignerServer(GRAFT, client))
            except capnp.KjException as exc:  # the relay's kernel refuses: not on its list
                return str(exc)
            return "returned"

        with trio.fail_after(120):
            async with dial(relay.address, graft=True, secret=client.secret) as remote:
                answer = await remote.run(graft_through)
        assert "notAllowed" in answer, answer
        relay.stop()
    finally:
        relay.close()
    calls = _events(node_env, relay.log, "--caller", str(client.peer_id), "--kind", "call")
    assert [(e["method"], e["outcome"]) for e in calls] == [
        ("Host.dial", "returned"),
        ("Membrane.graft", "failed"),
    ]
    assert calls[1]["reason"].startswith("notAllowed: "), calls[1]


async def test_an_ephemeral_key_node_keeps_its_log_where_ww_audit_finds_it_within_the_bound(
    kernel_image, node_env, tmp_path
):
    audit_dir = Path(node_env["WW_HOME"]) / "audit"
    old = []
    for _ in range(2):  # two earlier ephemeral runs' logs, the first the oldest
        key = NodeKey.generate()
        async with open_audit_log(
            audit_dir, key, flush_interval=1, sign_every=10, ephemeral_keep=100
        ) as audit:
            audit.node_event("epoch", 0)
        old.append(log_path(audit_dir, str(key.peer_id), ephemeral=True))
    os.utime(old[0], (1_000_000, 1_000_000))
    env = {**node_env, "WW_AUDIT_KEEP": "2"}
    proc = start_node(["--port", str(free_port()), str(kernel_image)], env)  # no key given
    try:
        peer = ready_line(proc)["peer_id"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
        proc.wait(timeout=30)
    mine = log_path(audit_dir, peer, ephemeral=True)
    logs = sorted((audit_dir / "ephemeral").glob("*.sqlite"))
    assert logs == sorted([mine, old[1]])  # WW_AUDIT_KEEP=2: the oldest went
    assert not log_path(audit_dir, peer).exists()  # nothing of it among the kept keys' logs
    listed = _ww(node_env, "audit", "--kind", "start")  # no --log: the newest log
    assert f"audit log: {mine}" in listed.stderr
    assert f"peer {peer}" in listed.stdout


async def test_after_a_sigkill_mid_load_every_flushed_event_is_there_and_verify_passes(
    kernel_image, node_env, tmp_path
):
    key_file = _key(tmp_path, "node")
    client = NodeKey.generate()
    node = Node(kernel_image, node_env, key_file, "--audit-flush", "0.1")
    try:

        async def load(caps: Any) -> None:
            while True:
                await caps.executor.echo("load")

        async def drive() -> None:
            async with dial(node.address, graft=True, secret=client.secret) as remote:
                await remote.run(load)

        def flushed_calls() -> int:
            try:
                store = AuditStore.read(node.log)
            except AuditError:  # the node creates it at its first flush
                return 0
            try:
                return sum(
                    1 for r in store.rows() if r.event().get("caller") == str(client.peer_id)
                )
            finally:
                store.close()

        with trio.fail_after(120):
            async with trio.open_nursery() as nursery:
                nursery.start_soon(drive)
                # No event marks a flush in another process: poll the file, within the bound.
                while await trio.to_thread.run_sync(flushed_calls) < 200:
                    await trio.sleep(0.05)  # sleep-ok: bounded poll
                node.proc.send_signal(signal.SIGKILL)  # mid-load: calls are still arriving
                node.proc.wait(timeout=30)
                nursery.cancel_scope.cancel()
    finally:
        node.close()

    with sqlite3.connect(f"file:{node.log}?mode=ro", uri=True) as db:
        before = db.execute("SELECT seq, hash FROM events ORDER BY seq").fetchall()
    assert len(before) >= 200

    again = Node(kernel_image, node_env, key_file)
    try:
        again.stop()
    finally:
        again.close()
    with sqlite3.connect(f"file:{node.log}?mode=ro", uri=True) as db:
        after = db.execute("SELECT seq, hash FROM events ORDER BY seq").fetchall()
    assert after[: len(before)] == before  # everything flushed before the kill, unchanged
    restarted = _events(node_env, node.log)[len(before) :]
    assert [e["kind"] for e in restarted[:1] + restarted[-1:]] == ["start", "stop"]
    verified = _ww(node_env, "audit", "verify", "--log", str(node.log))
    assert verified.returncode == 0, verified.stderr
    assert f"{len(after)} events, chain intact" in verified.stdout
