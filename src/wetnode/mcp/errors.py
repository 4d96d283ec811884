"""What goes wrong between wetnode and an MCP server or client."""

from __future__ import annotations

from wetnode.errors import WetnodeError


class McpError(WetnodeError):
    """An MCP server is down, went away during a call, or answered with an error."""
