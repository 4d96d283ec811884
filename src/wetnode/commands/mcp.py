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

from wetnode.config import parse_port
from wetnode.errors import NetError, sole_exception
from wetnode.keys import NodeKey
from wetnode.net.dial import parse_peer_address
from wetnode.net.swarm import open_swarm
from wetnode.rpc.vat import open_vat


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

    peer_id, transport = parse_peer_address(args.address)
    try:
        async with (
            open_vat() as vat,
            open_swarm(key.libp2p_key_pair(), port=0, host="127.0.0.1") as swarm,
            trio.open_nursery() as nursery,
        ):
            tools = ExportTools(swarm, vat, peer_id, [transport], key)
            with trio.move_on_after(args.timeout) as scope:
                await nursery.start(tools.run)
            if scope.cancelled_caught:
                raise NetError(
                    f"{args.address} did not graft and list its tools within "
                    f"{args.timeout:g} s (--timeout)"
                )
            server = mcp_server(tools, str(peer_id))
            if args.http is None:
                await serve_stdio(server)
            else:
                port = await nursery.start(serve_http, server, args.http)
                print(f"serving MCP at http://127.0.0.1:{port}/mcp", file=sys.stderr, flush=True)
                await trio.sleep_forever()  # until Ctrl-C or SIGTERM
            nursery.cancel_scope.cancel()
    except BaseExceptionGroup as group:
        raise sole_exception(group) from None
    return 0
