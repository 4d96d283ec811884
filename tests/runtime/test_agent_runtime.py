"""`ww init` -> `ww build` -> `ww run` on the shared agent runtime."""

from __future__ import annotations

import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from agents import Ww, compiled_entries

from wetnode.cell.python_guest import build_project
from wetnode.errors import CellError
from wetnode.guest.stdlib import BUNDLED

pytestmark = pytest.mark.slow

Agent = Callable[..., Path]


def test_the_scaffold_builds_and_runs(agent: Agent, ww: Ww) -> None:
    project = agent("a")
    built = ww("build", str(project))
    assert built.returncode == 0, built.stderr
    ran = ww("run", str(project))
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "hello from a wetware agent\n"


def test_building_an_agent_takes_under_a_second_once_the_runtime_is_cached(
    agent: Agent, ww: Ww
) -> None:
    project = agent("quick")
    assert ww("build", str(project)).returncode == 0  # the runtime is cached from here on
    (project / "boot" / "main.py").write_text("print('edited')\n")
    started = time.monotonic()
    build_project(project)
    assert time.monotonic() - started < 1.0


def test_two_agents_share_one_runtime_and_the_second_compiles_nothing(
    agent: Agent, ww: Ww, agents_home: Path
) -> None:
    first = agent("first", "print('first agent')\n")
    second = agent("second", "def main():\n    print('second agent')\n    return 3\n")
    for project in (first, second):
        assert ww("build", str(project)).returncode == 0
    wasm = [(p / "boot" / "main.wasm").read_bytes() for p in (first, second)]
    assert wasm[0] == wasm[1]

    ran = ww("run", str(first))
    assert (ran.returncode, ran.stdout) == (0, "first agent\n"), ran.stderr
    assert len(compiled_entries(agents_home)) == 1  # only ever the runtime

    ran = ww("run", str(second))
    assert (ran.returncode, ran.stdout) == (3, "second agent\n"), ran.stderr
    assert "compiling" not in ran.stderr
    assert len(compiled_entries(agents_home)) == 1


def test_every_bundled_module_imports_and_works(agent: Agent, ww: Ww) -> None:
    main_py = textwrap.dedent(
        f"""
        import importlib

        for name in {list(BUNDLED)!r}:
            importlib.import_module(name)
        print("imported", {len(BUNDLED)})

        import decimal, hashlib, json, sqlite3, tomllib, xml.etree.ElementTree as ET

        db = sqlite3.connect(":memory:")
        db.execute("create table t (v)")
        db.execute("insert into t values (41)")
        print(
            json.dumps({{"a": 1}}),
            tomllib.loads("x = 2")["x"],
            decimal.Decimal("0.1") + decimal.Decimal("0.2"),
            hashlib.sha256(b"ww").hexdigest()[:8],
            db.execute("select v + 1 from t").fetchone()[0],
            ET.fromstring("<a><b/></a>")[0].tag,
        )
        """
    )
    project = agent("stdlib", main_py)
    assert ww("build", str(project)).returncode == 0
    ran = ww("run", str(project))
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.splitlines() == [
        f"imported {len(BUNDLED)}",
        '{"a": 1} 2 0.3 b84ff805 42 b',
    ]


def test_an_exception_in_the_agent_is_its_python_traceback_and_exit_1(
    agent: Agent, ww: Ww
) -> None:
    project = agent(
        "crash",
        "import helper\n\n\nasync def main():\n    helper.fail()\n",
        helper="def fail():\n    raise ValueError('the agent failed')\n",
    )
    assert ww("build", str(project)).returncode == 0
    ran = ww("run", str(project))
    assert ran.returncode == 1
    assert "Traceback (most recent call last):" in ran.stderr
    assert 'File "/boot/main.py", line 5, in main' in ran.stderr
    assert 'File "/lib/python/helper.py", line 2, in fail' in ran.stderr
    assert ran.stderr.rstrip().endswith("ValueError: the agent failed")
    assert "panic" not in ran.stderr and "RUST_BACKTRACE" not in ran.stderr


def test_a_syntax_error_is_reported_at_once_with_file_and_line(agent: Agent, ww: Ww) -> None:
    project = agent("typo", "x = 1\ndef broken(:\n    pass\n")
    built = ww("build", str(project))
    assert built.returncode == 1
    (line,) = built.stderr.splitlines()
    assert f"{project / 'boot' / 'main.py'}, line 2: SyntaxError" in line
    assert not (project / "boot" / "main.wasm").exists()
    started = time.monotonic()
    with pytest.raises(CellError, match="line 2: SyntaxError"):
        build_project(project)
    assert time.monotonic() - started < 1.0  # checked before anything is built


def test_an_agent_writing_a_mebibyte_to_stdout_delivers_every_byte(agent: Agent, ww: Ww) -> None:
    # The guest's libc writes 64 KiB per call; the raw stdout handed the short
    # count back, so only 64 KiB of each write arrived (issue 12, item 18).
    body = 'import sys\nsys.stdout.buffer.write(b"x" * (1 << 20))\nprint("y" * (1 << 20))\n'
    project = agent("loud", body)
    assert ww("build", str(project)).returncode == 0
    ran = ww("run", str(project))
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout == "x" * (1 << 20) + "y" * (1 << 20) + "\n"
