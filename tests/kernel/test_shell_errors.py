"""The shell's failures are one line and leave the node running (a pty on the real `ww run`)."""

from __future__ import annotations

import hashlib
import os
import re
from typing import Any

import pytest
import trio
from node_process import WW, Terminal, free_port

from wetnode import codec
from wetnode.keys import NodeKey
from wetnode.net.protocol import serve
from wetnode.net.swarm import open_swarm
from wetnode.rpc import schema
from wetnode.rpc.vat import open_vat

pytestmark = pytest.mark.slow

HANG = 3600  # seconds a fetch nobody answers waits here: far longer than any test


class HollowMembrane(schema.stem().Membrane.Server):
    """A peer's export whose graft answers with no capabilities at all (every field null)."""

    async def graft(self, signer: Any, _context: Any, **_: Any) -> None:
        return None


async def test_dial_to_a_peer_whose_graft_returns_no_host_is_one_line_and_the_shell_goes_on(
    kernel_image, node_env
):
    async with (
        open_vat() as vat,
        open_swarm(NodeKey.generate().libp2p_key_pair(), port=0, host="127.0.0.1") as swarm,
    ):
        serve(swarm, vat, lambda _peer: HollowMembrane())
        address = str(swarm.addrs()[0])

        def session() -> tuple[str, str, int]:
            with Terminal([*WW, "run", "--port", "0", str(kernel_image)], node_env) as term:
                term.expect("\u276f ")
                dialled = term.send(f'(dial "{address}" id)')
                after = term.send('(executor echo "still here")')
                os.write(term.fd, b"(exit)\n")
                return dialled, after, term.wait()

        dialled, after, code = await trio.to_thread.run_sync(session)
    assert "error: dial: the peer's graft returned no host" in dialled, dialled
    assert "Traceback" not in dialled and "AttributeError" not in dialled, dialled
    assert '"still here"' in after, after
    assert code == 0


def test_failed_calls_are_one_line_each_and_the_shell_goes_on(kernel_image, node_env):
    dead = f"/ip4/127.0.0.1/tcp/{free_port()}/p2p/{NodeKey.generate().peer_id}"
    with Terminal([*WW, "run", "--port", "0", str(kernel_image)], node_env) as term:
        term.expect("\u276f ")
        unreachable = term.send(f'(dial "{dead}" id)')
        bad_cid = term.send('(ipfs cat "/ipfs/QmNotACid")')
        no_args = term.send("(executor echo)")
        after = term.send('(executor echo "still here")')
        os.write(term.fd, b"(exit)\n")
        code = term.wait()
    for seen, error in [
        (unreachable, "error: failed: host.dial failed: cannot reach peer"),
        (bad_cid, "error: failed: InvalidCid: invalid CID 'QmNotACid'"),
        (no_args, "error: usage: (executor echo message)"),
    ]:
        lines = seen.strip().splitlines()
        assert [line for line in lines if line.startswith("error:")] == [lines[-2]], seen
        assert lines[-2].startswith(error), seen  # one line, just before the next prompt
        assert "Traceback" not in seen and "Failed to open TCP stream" not in seen, seen
    assert '"still here"' in after, after
    assert code == 0


def test_the_shell_edits_lines_keeps_history_and_survives_ctrl_c(kernel_image, node_env):
    with Terminal([*WW, "run", "--port", "0", str(kernel_image)], node_env) as term:
        term.expect("\u276f ")
        assert '"one"' in term.send('(executor echo "one")')
        os.write(term.fd, b"\x1b[A\r")  # up: the last line again
        assert '"one"' in term.expect("\u276f ")
        os.write(term.fd, b'(executor echo "tw")\x1b[D\x1b[Do\r')  # left twice, insert
        assert '"two"' in term.expect("\u276f ")
        term.wait_for_mode(raw=True)  # the editor has the keys: Ctrl-C is one of them
        os.write(term.fd, b"(host half-typed\x03")  # Ctrl-C at the prompt: the line goes
        assert "^C" in term.expect("\u276f ")
        assert '"still up"' in term.send('(executor echo "still up")'), "Ctrl-C kept the node"
        term.wait_for_mode(raw=True)  # the editor reads the next line
        os.write(term.fd, b"\x04")  # Ctrl-D on an empty line: the shell ends
        code = term.wait()
    assert code == 0


def test_ctrl_c_during_a_hung_command_interrupts_it_and_the_node_stays_up(
    kernel_image, node_env, helia
):
    """The hang is real: a peer stays connected (Helia, which lacks the block), so the want
    waits out ``--ipfs-timeout``, set far past the test; with no peer, bitswap would give
    up by itself after `ALONE_FOR` and race the ^C."""
    nobody_has = codec.b58encode(bytes([0x12, 0x20]) + hashlib.sha256(os.urandom(16)).digest())
    argv = [*WW, "run", "--port", "0", "--peer", helia.multiaddr, str(kernel_image)]
    with Terminal(argv, {**node_env, "WW_IPFS_TIMEOUT": str(HANG)}) as term:
        term.expect("\u276f ")
        peer = re.search(r'"(16Uiu\w+)"', term.send("(host id)"))
        assert peer, "no peer ID"
        os.write(term.fd, f'(ipfs cat "/ipfs/{nobody_has}")\n'.encode())  # waits on the network
        term.wait_for_mode(raw=False)  # the line went to pid0, which is running it
        os.write(term.fd, b"\x03")
        assert "command interrupted" in term.expect("\u276f ", timeout=120)
        assert peer[0] in term.send("(host id)"), "the same node, still up"
        os.write(term.fd, b"(exit)\n")
        code = term.wait()
    assert code == 0
