"""Ipfs.Client delegates to the injected backend, or says there is none."""

from __future__ import annotations

import trio
from membrane_support import DictIpfs, Node, failure, graft, pid0_membrane, running_node

from wetnode.ipfs.reader import Entry

CID = bytes.fromhex("0170122022")


async def test_without_a_backend_every_ipfs_method_says_so(node: Node) -> None:
    async def scenario() -> list[str]:
        ipfs = (await graft(await pid0_membrane(node))).ipfs
        unixfs = ipfs.unixfs().api
        return [
            await failure(unixfs.cat("/ipfs/Qm")),
            await failure(unixfs.ls("/ipfs/Qm")),
            await failure(ipfs.resolvePath("/ipfs/Qm")),
        ]

    with trio.fail_after(10):
        reasons = await node.vat.run(scenario)
    assert reasons == ["no IPFS backend: this node runs without an IPFS daemon"] * 3


async def test_unixfs_cat_and_ls_reach_the_backend() -> None:
    backend = DictIpfs(
        files={"/ipfs/dir/a.txt": b"alpha"},
        dirs={
            "/ipfs/dir": [Entry("a.txt", 5, "file", CID), Entry("sub", 0, "directory", CID)]
        },
    )
    async with running_node(ipfs=backend) as node:

        async def scenario() -> tuple[bytes, list[tuple[str, int, str, bytes]], str]:
            unixfs = (await graft(await pid0_membrane(node))).ipfs.unixfs().api
            data = bytes((await unixfs.cat("/ipfs/dir/a.txt")).data)
            entries = [
                (e.name, e.size, str(e.type), bytes(e.cid))
                for e in (await unixfs.ls("/ipfs/dir")).entries
            ]
            missing = await failure(unixfs.cat("/ipfs/nope"))
            return data, entries, missing

        with trio.fail_after(10):
            data, entries, missing = await node.vat.run(scenario)
    assert data == b"alpha"
    assert entries == [("a.txt", 5, "file", CID), ("sub", 0, "directory", CID)]
    assert missing == "FileNotFoundError: /ipfs/nope not found"
