"""Python guest projects: scaffold one (`ww init`), build it into a component (`ww build`).

A project is a directory with `app.py` defining `class WitWorld` with
`run(self) -> int`.  componentize-py turns it into `boot/main.wasm` for our
world; the directory holding the `wetnode` package is on its Python path so
guests can `import wetnode.guest` (the guest SDK), which then gets embedded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import wetnode
from wetnode.errors import CellError
from wetnode.notice import note

WIT_DIR = Path(__file__).parent / "wit"
WORLD = "guest"
APP_MODULE = "app"
OUTPUT = Path("boot") / "main.wasm"
SDK_PATH = Path(wetnode.__file__).resolve().parent.parent
"""The directory containing the `wetnode` package (src/ in a checkout)."""

APP_TEMPLATE = '''\
"""A Wetware guest.  `ww build` turns this file into boot/main.wasm."""

import wit_world


class WitWorld(wit_world.WitWorld):
    def run(self) -> int:
        """The guest's entry point; the value returned is its exit code."""
        print("hello from a wetware guest")
        return 0
'''

README_TEMPLATE = """\
# {name}

A Wetware guest in Python: edit `app.py`, then `ww build` to produce
`boot/main.wasm` and `ww run .` to boot it (see docs/guest-abi.md).
"""


def init_project(path: Path) -> list[Path]:
    """Write a new project's files; refuse to overwrite existing ones."""
    files = {
        path / f"{APP_MODULE}.py": APP_TEMPLATE,
        path / "README.md": README_TEMPLATE.format(name=path.resolve().name),
    }
    for file in files:
        if file.exists():
            raise CellError(f"{file} already exists: pick an empty directory for `ww init`")
    try:
        path.mkdir(parents=True, exist_ok=True)
        for file, text in files.items():
            file.write_text(text)
    except OSError as exc:
        raise CellError(f"cannot create the guest project in {path}: {exc.strerror}") from exc
    return list(files)


def build_project(path: Path) -> Path:
    """Build `path/app.py` into `path/boot/main.wasm` with componentize-py (takes ~10 s)."""
    if not (path / f"{APP_MODULE}.py").is_file():
        raise CellError(f"{path} has no {APP_MODULE}.py: create a project with `ww init {path}`")
    output = path / OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    command = [
        componentize_py(),
        "-d", str(WIT_DIR),
        "-w", WORLD,
        "--quiet",
        "componentize", APP_MODULE,
        "-p", str(path),
        "-p", str(SDK_PATH),
        "-o", str(output),
    ]
    note(f"building {output} with componentize-py…")
    # Without RUST_BACKTRACE=0 a failed build spends ~15 s symbolising a backtrace.
    env = {**os.environ, "RUST_BACKTRACE": "0", "RUST_LIB_BACKTRACE": "0"}
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if result.returncode != 0:
        raise CellError(f"building {path.resolve()} failed: {_error_line(result.stderr)}")
    return output


def componentize_py() -> str:
    """The componentize-py command `ww build` runs; `CellError` saying how to install it."""
    beside_python = Path(sys.executable).with_name("componentize-py")
    found = str(beside_python) if beside_python.exists() else shutil.which("componentize-py")
    if found is None:
        raise CellError("componentize-py is not installed: run scripts/install.sh")
    return found


def _error_line(stderr: str) -> str:
    """The cause componentize-py reports (first line after "Caused by:"), else its last line."""
    lines = [line.strip() for line in stderr.split("Stack backtrace:")[0].splitlines()]
    lines = [line for line in lines if line]
    if "Caused by:" in lines and lines[-1] != "Caused by:":
        return lines[lines.index("Caused by:") + 1]
    return lines[-1] if lines else "componentize-py failed without a message"
