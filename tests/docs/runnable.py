"""The shell blocks of README.md and docs/*.md marked runnable, and how they run.

A block is marked by the line `<!-- runnable -->` just before its ```sh fence
(README.md, "Docs that run", says so for writers).  A marker anywhere else
is an error, so a typo cannot quietly turn a block's test off.

Each block runs with `bash -euo pipefail` in the page's scratch directory
(see `Page`); blocks of one page run in order in the same directory, data
dir and home, as a reader following the page would.  Two placeholders are
filled in from real processes the test started:

- `/ip4/…/tcp/2025/p2p/16Uiu2…` (the docs' "a node's address") becomes the
  first address in the ready line of a kernel node (`ww run --port 0
  images/kernel`), one per page;
- `ww stem` and `--stem` talk to an anvil chain the test started, through
  `WW_RPC_URL` and `WW_WS_URL` (the same variables a user would set).
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

MARKER = "<!-- runnable -->"
NODE_ADDRESS = "/ip4/…/tcp/2025/p2p/16Uiu2…"
FENCE = re.compile(r"^```(sh|bash)\s*$")


@dataclasses.dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the fence, 1-based
    text: str

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"

    @property
    def needs_node(self) -> bool:
        return NODE_ADDRESS in self.text

    @property
    def needs_chain(self) -> bool:
        return "ww stem" in self.text or "--stem" in self.text


class MarkerError(ValueError):
    """A runnable marker that does not sit on the line before a shell fence."""


def blocks(path: Path) -> list[Block]:
    """The marked blocks of one Markdown file, in order."""
    lines = path.read_text().splitlines()
    found = []
    for index, line in enumerate(lines):
        if line.strip() != MARKER:
            continue
        fence = index + 1
        if fence >= len(lines) or not FENCE.match(lines[fence]):
            raise MarkerError(f"{path.name}:{index + 1}: {MARKER} must be followed by ```sh")
        end = next(
            (i for i in range(fence + 1, len(lines)) if lines[i].startswith("```")), None
        )
        if end is None:
            raise MarkerError(f"{path.name}:{fence + 1}: the block never closes")
        found.append(Block(path, fence + 1, "\n".join(lines[fence + 1 : end]) + "\n"))
    return found


def script(block: Block, node_address: str | None) -> str:
    """The block as bash runs it: placeholders filled in."""
    text = block.text
    if block.needs_node:
        assert node_address is not None
        text = text.replace(NODE_ADDRESS, node_address)
    return text
