"""MCP both ways.

`local`: the node's own MCP servers (`ww run --mcp NAME=COMMAND`), subprocesses
it owns and offers to pid0 as the `Mcp` capability.  `tools`, `bridge` and
`serve`: `ww mcp serve ADDRESS`, an MCP server whose tools are the methods a
remote node's export allows.  Both use the official `mcp` SDK on anyio's trio
backend.  See docs/mcp.md.
"""
