"""The wheel works on its own: built from pyproject.toml, installed where no checkout is.

An editable install finds everything through the checkout, so it hides a
missing schema, contract artifact or dependency declaration.  Here the wheel
is built from a scratch copy of the sources (no stale egg-info, no VCS file
finder), installed into a fresh venv that has no pip and no checkout on its
path, and run from a directory outside the checkout.  The new venv borrows
the third-party packages already installed for the tests through a ``.pth``
*path* line: ``.pth`` files inside that directory are not processed, so the
editable install's pointer at ``src/`` stays inert, and nothing is downloaded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from wetnode.rpc import schema

pytestmark = pytest.mark.slow

CHECKOUT = Path(__file__).resolve().parents[2]
PACKAGE_DATA = {
    "wetnode/py.typed",
    "wetnode/schemas/capnp/system.capnp",
    "wetnode/schemas/capnp/stem.capnp",
    "wetnode/schemas/capnp/ipfs.capnp",
    "wetnode/schemas/_capnp.pyi",
    "wetnode/schemas/system.pyi",
    "wetnode/schemas/stem.pyi",
    "wetnode/schemas/ipfs.pyi",
    "wetnode/stem/Atom.json",
    "wetnode/cell/wit/guest.wit",
}


@dataclass(frozen=True)
class Installed:
    """The built wheel and the venv it is installed in."""

    wheel: Path
    venv: Path
    cwd: Path
    env: dict[str, str]

    def run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        """Run a program from the venv's ``bin/`` in the scratch directory."""
        return subprocess.run(
            [str(self.venv / "bin" / argv[0]), *argv[1:]],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )


def _check(cmd: list[str], **kwargs: object) -> None:
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{cmd}: {result.stdout}{result.stderr}"


def _build_wheel(scratch: Path) -> Path:
    source = scratch / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(CHECKOUT / name, source / name)
    shutil.copytree(
        CHECKOUT / "src",
        source / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    out = scratch / "dist"
    _check(
        [sys.executable, "-m", "pip", "wheel", str(source), "--no-deps", "--no-index",
         "--no-build-isolation", "--quiet", "--wheel-dir", str(out)],
    )  # fmt: skip
    (wheel,) = out.glob("wetnode-*.whl")
    return wheel


def _install(wheel: Path, venv: Path) -> None:
    _check([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    _check(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "--quiet", str(wheel)],
    )  # fmt: skip
    # After the install, so pip does not see the editable wetnode through it.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    borrowed = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    (Path(site) / "borrowed-deps.pth").write_text("".join(f"{p}\n" for p in sorted(borrowed)))


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    scratch = tmp_path_factory.mktemp("wheel")
    wheel = _build_wheel(scratch)
    venv = scratch / "venv"
    _install(wheel, venv)
    cwd = scratch / "elsewhere"
    cwd.mkdir()
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("WW_", "PYTHON", "VIRTUAL_ENV"))
    }
    env["WW_HOME"] = str(scratch / "ww-home")
    return Installed(wheel=wheel, venv=venv, cwd=cwd, env=env)


def test_the_wheel_carries_schemas_stubs_contract_wit_world_and_py_typed(
    installed: Installed,
) -> None:
    names = set(zipfile.ZipFile(installed.wheel).namelist())
    assert names >= PACKAGE_DATA
    assert not [n for n in names if n.startswith(("tests/", "capnp/", "contracts/"))]


def test_the_venv_imports_the_wheel_not_the_checkout(installed: Installed) -> None:
    result = installed.run(
        "python", "-c", "import sys, wetnode; print(wetnode.__file__); print(*sys.path, sep='\\n')"
    )
    assert result.returncode == 0, result.stderr
    module, *path = result.stdout.splitlines()
    assert Path(module).is_relative_to(installed.venv)
    assert not [p for p in path if p and Path(p).resolve().is_relative_to(CHECKOUT / "src")]


def test_ww_version(installed: Installed) -> None:
    result = installed.run("ww", "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ww 0.1.0"


def test_ww_keygen_writes_a_key(installed: Installed) -> None:
    key = installed.cwd / "node.key"
    result = installed.run("ww", "keygen", "--output", str(key))
    assert result.returncode == 0, result.stderr
    assert "peer id:" in result.stderr
    assert key.stat().st_mode & 0o777 == 0o600


def test_ww_run_dry_run_lists_a_temporary_image(installed: Installed) -> None:
    image = installed.cwd / "image"
    (image / "boot").mkdir(parents=True)
    (image / "boot" / "main.wasm").write_bytes(b"\0asm\1\0\0\0")
    result = installed.run("ww", "run", "--dry-run", str(image))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["boot/", f"  main.wasm  <- {image}"]


def test_the_schemas_and_the_contract_artifact_load_from_the_package(
    installed: Installed,
) -> None:
    program = (
        "from wetnode.rpc import schema\n"
        "from wetnode.stem import abi\n"
        "print(hex(schema.stem().Membrane.schema.node.id))\n"
        "print(abi.artifact()['contractName'])\n"
    )
    result = installed.run("python", "-c", program)
    assert result.returncode == 0, result.stderr
    membrane_id, contract = result.stdout.split()
    assert int(membrane_id, 16) == schema.stem().Membrane.schema.node.id
    assert contract == "Atom"
