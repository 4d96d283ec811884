"""A real MCP server (the `mcp` SDK's MCPServer on stdio) that can die on request.

`pid` says which process answers; `crash` ends the process in the middle of
its own call, as a crashing tool server would.
"""

import os

from mcp.server.mcpserver import MCPServer

app = MCPServer("crashy")


@app.tool()
def pid() -> int:
    """This server's process ID."""
    return os.getpid()


@app.tool()
def crash() -> str:
    """End the server's process before answering."""
    os._exit(3)


if __name__ == "__main__":
    app.run()
