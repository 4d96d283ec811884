"""Running componentize-py: a Python module and its path into a component for our world.

A build takes 15-60 s, so it reports its elapsed time every few seconds, and
Ctrl-C (or any other exception) ends componentize-py before it propagates: no
build outlives `ww build`, and no partial output is left behind.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import wetnode
from wetnode.errors import CellError
from wetnode.notice import note

WIT_DIR = Path(__file__).parent / "wit"
WORLD = "guest"
SDK_PATH = Path(wetnode.__file__).resolve().parent.parent
"""The directory containing the `wetnode` package (src/ in a checkout)."""
PROGRESS_SECONDS = 5.0
"""How often a build reports its elapsed time."""


def componentize(module: str, paths: list[Path], output: Path, what: str) -> None:
    """Build `module` (found on `paths`, then the SDK's path) into the component `output`.

    `what` names the build in progress lines.  Raises `CellError` with
    componentize-py's own cause (a syntax error's file and line, say).
    componentize-py runs in an empty directory, so every path it gets is absolute.
    """
    command = [
        componentize_py(),
        "-d", str(WIT_DIR),
        "-w", WORLD,
        "--quiet",
        "componentize", module,
        *[arg for path in paths for arg in ("-p", str(path.resolve()))],
        "-p", str(SDK_PATH),
        "-o",
    ]
    handle, partial = tempfile.mkstemp(dir=output.parent.resolve(), prefix=f".{output.name}.")
    os.close(handle)
    started = time.monotonic()
    try:
        # An empty working directory: nothing there can be picked up as a module.
        with tempfile.TemporaryDirectory() as cwd:
            stderr = _run_with_progress([*command, partial], Path(cwd), what, started)
        if stderr is not None:
            raise CellError(f"building {what} failed: {error_line(stderr)}")
        os.replace(partial, output)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)
    note(f"built {what} in {time.monotonic() - started:.1f} s")


def componentize_py() -> str:
    """The componentize-py command `ww build` runs; `CellError` saying how to install it."""
    beside_python = Path(sys.executable).with_name("componentize-py")
    found = str(beside_python) if beside_python.exists() else shutil.which("componentize-py")
    if found is None:
        raise CellError("componentize-py is not installed: run scripts/install.sh")
    return found


def error_line(stderr: str) -> str:
    """The cause componentize-py reports (first line after "Caused by:"), else its last line."""
    lines = [line.strip() for line in stderr.split("Stack backtrace:")[0].splitlines()]
    lines = [line for line in lines if line]
    if "Caused by:" in lines and lines[-1] != "Caused by:":
        return lines[lines.index("Caused by:") + 1]
    return lines[-1] if lines else "componentize-py failed without a message"


def _run_with_progress(command: list[str], cwd: Path, what: str, started: float) -> str | None:
    """Run `command`, noting the elapsed time every few seconds; its stderr if it failed."""
    # Without RUST_BACKTRACE=0 a failed build spends ~15 s symbolising a backtrace.
    env = {**os.environ, "RUST_BACKTRACE": "0", "RUST_LIB_BACKTRACE": "0"}
    with tempfile.TemporaryFile() as errors, subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=errors
    ) as process:
        try:
            while True:
                try:
                    code = process.wait(timeout=PROGRESS_SECONDS)
                    break
                except subprocess.TimeoutExpired:
                    note(f"  building {what}: {time.monotonic() - started:.0f} s")
        except BaseException:
            process.kill()
            process.wait()
            raise
        if code == 0:
            return None
        errors.seek(0)
        return errors.read().decode(errors="replace")
