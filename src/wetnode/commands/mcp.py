"""`ww mcp serve ADDRESS`: a remote node's export as an MCP server, for any LLM client.

It grafts onto the node's exported membrane with the user's key
(`--identity`, else a fresh one, as `ww dial`), asks the export what it
allows, and offers those methods as MCP tools over stdio (what a desktop
client starts), or over streamable HTTP on 127.0.0.1 with `--http PORT`:

    ww mcp serve /ip4/127.0.0.1/tcp/2025/p2p/16Uiu2... --identity ~/.ww/key
    ww mcp serve /ip4/127.0.0.1/tcp/2025/p2p/16Uiu2... --http 8765   # http://127.0.0.1:8765/mcp

See docs/mcp.md for a client's config.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import trio

from wetnode import client
from wetnode.config import parse_port
from wetnode.errors import NetError
from wetnode.keys import NodeKey
from wetnode.membrane.servers.identity import SignerServer
from wetnode.membrane.signing import GRAFT


def configure(parser: argparse.ArgumentParser) -> None:
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    serve = verbs.add_parser("serve", help="offer a node's export as MCP tools (stdio or HTTP)")
    serve.add_argument("address", help="the node's multiaddr, ending in /p2p/PEER_ID")
    serve.add_argument(
        "--identity",
        metavar="PATH",
        help="the key file to graft with (default: a fresh key for this session)",
    )
    serve.add_argument(
        "--http",
        metavar="PORT",
        type=_port,
        help="serve streamable HTTP on 127.0.0.1:PORT/mcp instead of stdio (0: a free port)",
    )
    serve.add_argument(
        "--timeout", type=float, default=30.0, help="seconds to connect, graft and list tools"
    )


def _port(text: str) -> int:
    try:
        return parse_port(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    if not args.debug:  # py-libp2p logs every failed dial attempt at ERROR; one line is ours
        logging.getLogger("libp2p").setLevel(logging.CRITICAL)
    key = NodeKey.load(Path(args.identity)) if args.identity else NodeKey.generate()
    return trio.run(_serve, args, key)


async def _serve(args: argparse.Namespace, key: NodeKey) -> int:
    from wetnode.mcp.bridge import ExportTools  # the MCP SDK: imported only here
    from wetnode.mcp.serve import mcp_server, serve_http, serve_stdio

    async with client.dial(args.address, graft=False, secret=key.secret) as remote:

        def make_signer() -> SignerServer:
            return SignerServer(GRAFT, key)

        tools = ExportTools(remote, make_signer)
        with trio.move_on_after(args.timeout) as scope:
            await remote.graft(make_signer)
            await tools.load()
        if scope.cancelled_caught:
            raise NetError(
                f"{args.address} did not graft and list its tools within {args.timeout:g} s "
                "(--timeout)"
            )
        server = mcp_server(tools, str(remote.peer_id))
        if args.http is None:
            await serve_stdio(server)
            return 0
        async with trio.open_nursery() as nursery:
            port = await nursery.start(serve_http, server, args.http)
            print(f"serving MCP at http://127.0.0.1:{port}/mcp", file=sys.stderr, flush=True)
    return 0
