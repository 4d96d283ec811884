"""Benchmark guests: a guest app built once with `ww build`, cached by content."""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import trio


def built_guest(app_source: str) -> Path:
    """The project directory of a guest whose app.py is ``app_source``.

    Built with componentize-py (about a minute) the first time, then reused
    from the temp directory as long as neither the app nor the guest SDK
    (`wetnode.guest`, `wetnode.capnproto`, `wetnode.codec`) changed.  The
    wasm is at ``<project>/boot/main.wasm``; ``<project>/cache`` is a compile
    cache for it.
    """
    from wetnode.cell.componentize import SDK_PATH
    from wetnode.cell.python_guest import build_project

    package = SDK_PATH / "wetnode"
    sdk = [p for name in ("guest", "capnproto") for p in sorted((package / name).rglob("*.py"))]
    sdk.append(package / "codec.py")
    digest = hashlib.sha256(app_source.encode() + b"".join(p.read_bytes() for p in sdk))
    project = Path(tempfile.gettempdir()) / f"wetnode-bench-guest-{digest.hexdigest()[:16]}"
    if not (project / "boot" / "main.wasm").exists():
        project.mkdir(parents=True, exist_ok=True)
        (project / "app.py").write_text(app_source)
        print("building a benchmark guest (~1 min, cached in", project, ")", flush=True)
        build_project(project)
    return project


KERNEL = Path(__file__).resolve().parents[1] / "images" / "kernel"


def built_kernel(work: Path) -> Path:
    """A copy of this checkout's images/kernel under ``work``, built (about a minute)."""
    import shutil

    from wetnode.cell.python_guest import build_project

    kernel = work / "kernel"
    shutil.copytree(KERNEL, kernel, ignore=shutil.ignore_patterns("*.wasm", "__pycache__"))
    build_project(kernel)
    return kernel


async def printed_json(cell: Any, timeout: float = 600) -> Any:
    """What a benchmark guest prints (one JSON value) once it has exited."""
    assert cell.stdout is not None
    out = b""
    with trio.fail_after(timeout):
        while chunk := await cell.stdout.receive_some():
            out += chunk
        await cell.wait()
    return json.loads(out)
