"""`ww init` + `ww build` make a Python guest that runs; errors are one line."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from wetnode.cell import Engine, Exit, GuestSpec, Stdio, open_cell
from wetnode.cli import main as ww


@pytest.mark.slow
async def test_init_then_build_makes_a_guest_that_runs(
    tmp_path: Path, engine: Engine, read_all
) -> None:
    project = tmp_path / "hello"
    assert ww(["init", str(project)]) == 0
    assert ww(["build", str(project)]) == 0
    # The agent's own image at `/`: the runtime reads its boot/main.py there.
    spec = GuestSpec(project / "boot" / "main.wasm", root=project, stdio=Stdio(stdout="pipe"))
    async with open_cell(engine, spec) as cell:
        output = await read_all(cell.stdout)
        assert await cell.wait() == Exit(0)
    assert output == b"hello from a wetware agent\n"


def test_init_refuses_to_overwrite_a_project(tmp_path: Path, capsys) -> None:
    assert ww(["init", str(tmp_path)]) == 0
    assert ww(["init", str(tmp_path)]) == 1
    assert "main.py already exists" in capsys.readouterr().err


def test_build_without_an_agent_is_a_one_line_error(tmp_path: Path, capsys) -> None:
    assert ww(["build", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"{tmp_path} has no boot/main.py" in err


def test_build_reports_a_syntax_error_in_an_app_py_project_at_once(
    tmp_path: Path, capsys
) -> None:
    (tmp_path / "app.py").write_text("def broken(:\n")
    assert ww(["build", str(tmp_path)]) == 1
    (error,) = capsys.readouterr().err.splitlines()  # before componentize-py starts
    assert "SyntaxError" in error and "app.py, line 1" in error


CLEAN_EXIT_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import trio
    import trio.socket

    from wetnode.cell import Engine, GuestSpec, open_cell

    async def main() -> int:
        with Engine(Path(sys.argv[1])) as engine:
            wasm = Path(sys.argv[2])
            async with open_cell(engine, GuestSpec(wasm, args=["return", "6"])) as cell:
                returned = await cell.wait()
            async with open_cell(engine, GuestSpec(wasm, args=["spin"])) as cell:
                channel = trio.SocketStream(trio.socket.from_stdlib_socket(cell.channel))
                await channel.receive_some(8)  # running; leaving the block stops it
            assert cell.exit is not None and cell.exit.code == 137, cell.exit
        return returned.code

    sys.exit(trio.run(main))
    """
)


def test_interpreter_exits_cleanly_with_the_guest_exit_code(
    engine: Engine, probe_wasm: Path, cache_dir: Path
) -> None:
    engine.load(probe_wasm, "probe")  # compiled into the shared cache: the child only loads
    result = subprocess.run(
        [sys.executable, "-c", CLEAN_EXIT_SCRIPT, str(cache_dir), str(probe_wasm)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 6, result.stderr
    assert "panic" not in result.stderr
