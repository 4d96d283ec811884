"""The one-time runtime build shows its elapsed time, and Ctrl-C stops it cleanly."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from pathlib import Path

import pytest
from agents import WW

from wetnode.cell.componentize import PROGRESS_SECONDS

STARTUP_BOUND = 120.0  # interpreter start and the first progress note, on a busy machine


def _read_until(process: subprocess.Popen[bytes], marker: bytes, deadline: float) -> bytes:
    """Everything `process` wrote on stderr up to a line containing `marker`, within a bound."""
    assert process.stderr is not None
    seen = b""
    with selectors.DefaultSelector() as selector:
        selector.register(process.stderr, selectors.EVENT_READ)
        while marker not in seen:
            left = deadline - time.monotonic()
            assert left > 0 and selector.select(left), f"no {marker!r} in time: {seen!r}"
            chunk = os.read(process.stderr.fileno(), 4096)
            assert chunk, f"stderr closed before {marker!r}: {seen!r}"
            seen += chunk
    return seen


def _ctrl_c_as_on_a_terminal() -> None:
    """SIGINT as a terminal's foreground job has it: a suite started in the background
    (`cmd &` in a script) ignores SIGINT, and Python keeps an ignored SIGINT ignored."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _processes_naming(text: str) -> list[int]:
    """Live processes whose command line mentions `text`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and text in (entry / "cmdline").read_text():
                found.append(int(entry.name))
        except OSError:
            continue  # gone meanwhile
    return found


@pytest.mark.slow
def test_ctrl_c_stops_the_runtime_build_after_its_progress_shows_the_elapsed_time(
    tmp_path: Path,
) -> None:
    cache = tmp_path / "fresh-runtime-cache"
    project = tmp_path / "agent"
    project.mkdir()
    (project / "boot").mkdir()
    (project / "boot" / "main.py").write_text("print('hi')\n")
    env = {**os.environ, "WW_RUNTIME_CACHE": str(cache)}
    process = subprocess.Popen([*WW, "build", str(project)], env=env,
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, preexec_fn=_ctrl_c_as_on_a_terminal)
    try:
        deadline = time.monotonic() + STARTUP_BOUND + PROGRESS_SECONDS
        shown = _read_until(process, b"building the agent runtime: 5 s\n", deadline)
        assert b"building the shared agent runtime (once for this SDK" in shown
        assert _processes_naming(str(cache)), "componentize-py should be running"
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert b"Traceback" not in shown + rest
    assert not _processes_naming(str(cache))  # componentize-py ended with it
    left = [p.name for p in (cache / "runtime").iterdir() if p.suffix != ".lock"]
    assert left == []  # no runtime, no partial file
    assert not (project / "boot" / "main.wasm").exists()
