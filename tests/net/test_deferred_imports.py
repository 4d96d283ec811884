"""`wetnode.net.deferred_imports`: a deferred package runs on its first use, once, whole.

Each test writes a small package of its own to a temporary directory (so
whether it has run is observable: its ``__init__`` counts its runs in a file)
and defers it as the ``ww`` command defers httpx, requests and cbor2.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from wetnode.net.deferred_imports import defer_unused_imports

PACKAGE = "wetnode_deferred_probe"
INIT = """\
from pathlib import Path

_runs = Path(__file__).with_name("runs")
_runs.write_text(str(int(_runs.read_text() or 0) + 1) if _runs.exists() else "1")
from .part import ANSWER
VALUE = ANSWER + 1
"""


@pytest.fixture
def probe(tmp_path: Path) -> Iterator[Path]:
    """The probe package on sys.path, forgotten again afterwards; returns its runs file."""
    package = tmp_path / PACKAGE
    package.mkdir()
    (package / "__init__.py").write_text(INIT)
    (package / "part.py").write_text("ANSWER = 41\n")
    sys.path.insert(0, str(tmp_path))
    try:
        yield package / "runs"
    finally:
        sys.path.remove(str(tmp_path))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


def _runs(runs: Path) -> int:
    return int(runs.read_text()) if runs.exists() else 0


def test_an_imported_deferred_package_runs_only_when_first_used(probe: Path):
    defer_unused_imports((PACKAGE,))
    module = importlib.import_module(PACKAGE)
    assert _runs(probe) == 0  # `import` bound the stand-in
    assert module.VALUE == 42
    assert _runs(probe) == 1
    assert type(module) is types.ModuleType  # now an ordinary module
    assert module.VALUE == 42 and _runs(probe) == 1  # and it ran once


def test_from_imports_and_submodules_reach_the_real_package(probe: Path):
    defer_unused_imports((PACKAGE,))
    part = importlib.import_module(f"{PACKAGE}.part")
    assert part.ANSWER == 41
    namespace: dict[str, object] = {}
    exec(f"from {PACKAGE} import VALUE", namespace)
    assert namespace["VALUE"] == 42
    assert sys.modules[PACKAGE].part is part  # one module object, whoever imported it when


def test_a_missing_name_still_raises_attribute_error(probe: Path):
    defer_unused_imports((PACKAGE,))
    module = importlib.import_module(PACKAGE)
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018
    assert _runs(probe) == 1


def test_threads_first_using_it_at_once_share_one_run(probe: Path):
    defer_unused_imports((PACKAGE,))
    module = importlib.import_module(PACKAGE)
    start = threading.Barrier(4)
    seen: list[object] = []

    def use() -> None:
        start.wait(timeout=10)
        seen.append(module.VALUE)

    threads = [threading.Thread(target=use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert seen == [42] * 4
    assert _runs(probe) == 1


def test_packages_already_imported_or_not_installed_are_left_alone(probe: Path):
    real = importlib.import_module(PACKAGE)
    defer_unused_imports((PACKAGE, "wetnode_no_such_package"))
    assert sys.modules[PACKAGE] is real
    assert "wetnode_no_such_package" not in sys.modules
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("wetnode_no_such_package")
