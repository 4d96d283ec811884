"""The shell's failures are one line and leave the node running (a pty on the real `ww run`)."""

from __future__ import annotations

import os
from typing import Any

import pytest
import trio
from node_process import WW, Terminal

from wetnode.keys import NodeKey
from wetnode.net.protocol import serve
from wetnode.net.swarm import open_swarm
from wetnode.rpc import schema
from wetnode.rpc.vat import open_vat

pytestmark = pytest.mark.slow


class HollowMembrane(schema.stem().Membrane.Server):
    """A peer's export whose graft answers with no capabilities at all (every field null)."""

    async def graft(self, signer: Any, _context: Any, **_: Any) -> None:
        return None


async def test_dial_to_a_peer_whose_graft_returns_no_host_is_one_line_and_the_shell_goes_on(
    kernel_image, node_env
):
    async with open_vat() as vat, open_swarm(
        NodeKey.generate().libp2p_key_pair(), port=0, host="127.0.0.1"
    ) as swarm:
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
