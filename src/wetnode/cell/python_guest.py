"""Python agent projects: scaffold one (`ww init`), check it and build it (`ww build`).

An agent is its `.py` files: `boot/main.py` (with `main()`, see
`wetnode.guest.runtime`) and its own modules and vendored packages under
`lib/python/`.  `ww build` byte-compiles them (a syntax error is reported at
once, with file and line) and writes `boot/main.wasm` as a copy of the one
shared agent runtime (`build_runtime`), so building an agent takes well under
a second once the runtime is cached.

`--standalone` makes a component of the agent itself with componentize-py
(the runtime's entry with the agent imported while it builds): ~15-60 s and
~27 MB per agent, but it runs without an image (a child from bytes).  A
project in the older layout, `app.py` with `class WitWorld`, is always built
that way.  The directory holding the `wetnode` package is on componentize-py's
path, so `import wetnode.guest` (the guest SDK) is embedded.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from wetnode.cell.build_runtime import ENTRY_MODULE, ensure_runtime
from wetnode.cell.componentize import componentize
from wetnode.errors import CellError
from wetnode.notice import note

APP_MODULE = "app"
"""The older layout's module: `app.py` defining `class WitWorld`."""
AGENT = Path("boot") / "main.py"
LIBRARY = Path("lib") / "python"
OUTPUT = Path("boot") / "main.wasm"

AGENT_TEMPLATE = '''\
"""A Wetware agent.  `ww build` checks it and writes boot/main.wasm; `ww run .` boots it.

Modules of your own and vendored packages go in lib/python/ (on sys.path).
"""

import wetnode.guest as ww  # noqa: F401 (the SDK: ww.connect, ww.export, ...)


async def main() -> int:
    """The agent's entry point; the value returned is its exit code.

    `membrane = await ww.connect()` reaches the host, and grafting onto it
    gives the agent its capabilities (docs/guest-sdk.md).
    """
    print("hello from a wetware agent")
    return 0
'''

README_TEMPLATE = """\
# {name}

A Wetware agent in Python: edit `boot/main.py` (and add modules under
`lib/python/`), then `ww build` to check it and write `boot/main.wasm`, and
`ww run .` to boot it (see docs/guest-sdk.md).
"""


def init_project(path: Path, agent: str = AGENT_TEMPLATE) -> list[Path]:
    """Write a new project's files (``agent`` its `boot/main.py`); refuse to overwrite."""
    files = {
        path / AGENT: agent,
        path / "README.md": README_TEMPLATE.format(name=path.resolve().name),
    }
    for file in files:
        if file.exists():
            raise CellError(f"{file} already exists: pick an empty directory for `ww init`")
    try:
        (path / LIBRARY).mkdir(parents=True, exist_ok=True)
        for file, text in files.items():
            file.parent.mkdir(parents=True, exist_ok=True)
            file.write_text(text)
    except OSError as exc:
        raise CellError(f"cannot create the agent in {path}: {exc.strerror}") from exc
    return list(files)


def build_project(path: Path, *, standalone: bool = False) -> Path:
    """Check the agent at `path` and write `path/boot/main.wasm`; returns that path.

    The shared runtime by default (built once, then copied: well under a
    second); componentize-py per agent with `standalone` or for an `app.py`
    project.  Raises `CellError` with the file and line of a syntax error.
    """
    if (path / AGENT).is_file():
        module, sources = ENTRY_MODULE, [path / "boot", path / LIBRARY]
    elif (path / f"{APP_MODULE}.py").is_file():
        module, sources, standalone = APP_MODULE, [path, path / LIBRARY], True
    else:
        raise CellError(f"{path} has no {AGENT}: create an agent with `ww init {path}`")
    check_sources(path)
    output = path / OUTPUT
    output.parent.mkdir(parents=True, exist_ok=True)
    if standalone:
        note(f"building {output} with componentize-py (15-60 s)…")
        componentize(module, [p for p in sources if p.is_dir()], output, str(output))
    else:
        install_runtime(ensure_runtime(), output)
    return output


def check_sources(path: Path) -> None:
    """Byte-compile every `.py` file of the project (nothing written): a syntax error at once.

    The agent's code is compiled again inside the guest when it runs; this only
    reports, in well under a second, what would otherwise surface only then.
    """
    for file in sorted(path.rglob("*.py")):
        parts = file.relative_to(path).parts
        if any(part.startswith(".") or part == "__pycache__" for part in parts):
            continue
        try:
            compile(file.read_bytes(), str(file), "exec", dont_inherit=True)
        except SyntaxError as exc:
            raise CellError(
                f"{file}, line {exc.lineno}: SyntaxError: {exc.msg}: fix it and build again"
            ) from None
        except (OSError, ValueError) as exc:
            raise CellError(f"cannot read {file}: {exc}") from exc


def install_runtime(runtime: Path, output: Path) -> None:
    """Write `output` as a copy of the cached runtime, atomically.

    A copy, not a hardlink: a layer file with a name outside its layer is
    refused by `ww run` (it could hand the guest a host file), and an edit
    of one agent's `boot/main.wasm` must not change the cache.
    """
    partial = output.with_name(f".{output.name}.partial")
    try:
        shutil.copyfile(runtime, partial)
        os.replace(partial, output)
    except OSError as exc:
        raise CellError(f"cannot write {output}: {exc.strerror}") from exc
    finally:
        partial.unlink(missing_ok=True)
