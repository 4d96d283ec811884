"""After an epoch advance every capability a graft handed out is stale."""

from __future__ import annotations

import trio
from membrane_support import Node, failure, graft, pid0_membrane

from wetnode.membrane import Epoch
from wetnode.membrane.signing import GRAFT

CAT = b"import sys; sys.stdout.write(sys.stdin.read())"


async def test_every_old_capability_fails_with_stale_epoch_and_a_new_graft_works(
    node: Node,
) -> None:
    async def advance() -> None:
        node.host.advance_epoch(Epoch(seq=1, head=b"\x01\x55", adopted_block=9))

    async def scenario() -> tuple[dict[str, str], str, int]:
        membrane = await pid0_membrane(node)
        caps = await graft(membrane)
        host, executor, identity, ipfs = caps.host, caps.executor, caps.identity, caps.ipfs
        # Everything handed out indirectly, obtained while the epoch is current:
        derived_executor = (await host.executor()).executor
        process = (await executor.runBytes(CAT, [], [])).process
        binary = (await executor.load(CAT)).binary
        stdin = (await process.stdin()).stream
        signer = (await identity.signer(GRAFT.name)).signer
        unixfs = (await ipfs.unixfs()).api

        await node.vat.to_trio(advance)

        calls = {
            "host": host.id(),
            "host.executor": derived_executor.echo("x"),
            "executor": executor.echo("x"),
            "process": process.wait(),
            "binary": binary.spawn([], []),
            "bytestream": stdin.write(b"x"),
            "identity": identity.signer(GRAFT.name),
            "signer": signer.sign(1),
            "ipfs": ipfs.unixfs(),
            "ipfs.unixfs": unixfs.cat("/ipfs/x"),
            "ipfs.block": ipfs.block(),
        }
        reasons = {name: await failure(call) for name, call in calls.items()}
        fresh = await graft(membrane)  # the membrane's own signer survives epochs
        echoed = (await fresh.executor.echo("again")).response
        # A fresh Process can still be driven to completion.
        child = (await fresh.executor.runBytes(CAT, [], [])).process
        await (await child.stdin()).stream.close()
        return reasons, echoed, (await child.wait()).exitCode

    with trio.fail_after(15):
        reasons, echoed, code = await node.vat.run(scenario)
    for name, reason in reasons.items():
        assert reason.startswith("staleEpoch: capability issued under epoch 0"), name
    assert echoed == "again"
    assert code == 0
