"""Write the node options table of docs/cli.md from `wetnode.config.OPTIONS`.

Run from the repository root:  .venv/bin/python scripts/gen_cli_options.py
(`--check` exits 1 instead of writing when the table would change).

The table is the block of `|` lines that starts with the header
`markdown_table` writes; tests/foundation/test_config.py checks the committed
doc holds exactly the generated one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from wetnode.config import markdown_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "cli.md"


def with_table(doc: str, table: str) -> str:
    """``doc`` with its options table (found by the header line) replaced by ``table``."""
    lines = doc.splitlines(keepends=True)
    header = table.splitlines(keepends=True)[0]
    start = lines.index(header)
    end = start
    while end < len(lines) and lines[end].startswith("|"):
        end += 1
    return "".join([*lines[:start], table, *lines[end:]])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/cli.md differs")
    args = parser.parse_args()
    old = DOC.read_text(encoding="utf-8")
    new = with_table(old, markdown_table())
    if new == old:
        return 0
    if args.check:
        print(f"{DOC} is out of date: run scripts/gen_cli_options.py", file=sys.stderr)
        return 1
    DOC.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
