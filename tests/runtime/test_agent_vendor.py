"""`ww build --vendor requirements.txt`: pure-Python packages work, C extensions are refused."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from agents import Ww, write_wheel

Agent = Callable[..., Path]


def _requirements(tmp_path: Path, wheels: Path, *names: str) -> Path:
    """A requirements file that resolves from `wheels` alone (pip's own options in it)."""
    file = tmp_path / "requirements.txt"
    file.write_text("\n".join(["--no-index", f"--find-links {wheels}", *names]) + "\n")
    return file


@pytest.mark.slow
def test_a_vendored_pure_python_package_imports_at_run_time(
    agent: Agent, ww: Ww, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    write_wheel(wheels, "greeting", "py3-none-any", {
        "greeting/__init__.py": "from greeting.words import WORD\n",
        "greeting/words.py": "WORD = 'vendored hello'\n",
    })
    project = agent("vendoring", "import greeting\n\nprint(greeting.WORD)\n")
    built = ww("build", "--vendor", str(_requirements(tmp_path, wheels, "greeting")),
               str(project))
    assert built.returncode == 0, built.stderr
    assert "vendored greeting-1.0-py3-none-any.whl" in built.stdout
    assert (project / "lib" / "python" / "greeting" / "words.py").is_file()
    ran = ww("run", str(project))
    assert (ran.returncode, ran.stdout) == (0, "vendored hello\n"), ran.stderr


def test_a_package_that_needs_a_c_extension_is_a_one_line_error(
    agent: Agent, ww: Ww, tmp_path: Path
) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    write_wheel(wheels, "fastmath", "cp311-cp311-manylinux_2_17_x86_64",
                {"fastmath/__init__.py": "from fastmath._speedups import add\n"})
    project = agent("native")
    built = ww("build", "--vendor", str(_requirements(tmp_path, wheels, "fastmath")),
               str(project))
    assert built.returncode == 1
    assert "Traceback" not in built.stderr
    error = built.stderr.strip().splitlines()[-1]  # after the "downloading" progress note
    assert error.startswith("ww build: fastmath has no pure-Python wheel (it needs a C extension")
    assert not (project / "lib" / "python" / "fastmath").exists()
    assert not (project / "boot" / "main.wasm").exists()
