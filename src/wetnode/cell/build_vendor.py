"""`ww build --vendor requirements.txt`: pure-Python packages into an agent's `lib/python/`.

The agent runtime is CPython compiled to WebAssembly: it can import Python
source but cannot load a C extension built for the host.  So pip resolves the
requirements (and their dependencies) to pure wheels only (`py3-none-any`,
via `--platform any --abi none` for the guest's Python version), and then
installs those wheels into `lib/python/`, where the runtime finds them.  A
requirement with no pure wheel (numpy, say) is a one-line error naming it.
The requirements file may carry pip's own options (`--index-url`,
`--find-links`, `--no-index`).
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from wetnode.cell.python_guest import LIBRARY
from wetnode.errors import CellError
from wetnode.notice import note

GUEST_PYTHON = "3.14"
"""The CPython version inside the agent runtime (componentize-py 0.25.1)."""
PIP_TIMEOUT = 300.0

_NO_MATCH = re.compile(r"No matching distribution found for ([^\s]+)")
_NOT_SUPPORTED = re.compile(r"([^\s/]+?)-[^-\s]+-[^\s]*\.whl is not a supported wheel")


def vendor(requirements: Path, project: Path) -> list[str]:
    """Install `requirements`' pure wheels into `project/lib/python`; the wheel names."""
    if not requirements.is_file():
        raise CellError(f"{requirements} is not a file: pass a pip requirements file to --vendor")
    with tempfile.TemporaryDirectory(prefix="ww-vendor-") as scratch:
        wheels = Path(scratch)
        note(f"downloading the pure-Python wheels of {requirements}…")
        _pip("download", "--only-binary=:all:", "--platform", "any", "--abi", "none",
             "--implementation", "py", "--python-version", GUEST_PYTHON,
             "--dest", str(wheels), "--requirement", str(requirements))
        found = sorted(wheels.glob("*.whl"))
        if found:
            _pip("install", "--no-deps", "--no-compile", "--no-index", "--upgrade",
                 "--target", str(project / LIBRARY), *map(str, found))
        return [wheel.name for wheel in found]


def _pip(*args: str) -> None:
    command = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--quiet", *args]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False,
                                timeout=PIP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise CellError(
            f"pip {args[0]} took over {PIP_TIMEOUT:g} s: is the index reachable?"
        ) from None
    if result.returncode != 0:
        raise CellError(_reason(result.stderr))


def _reason(stderr: str) -> str:
    """One line for why pip failed; a package without a pure wheel is named as such."""
    match = _NO_MATCH.search(stderr) or _NOT_SUPPORTED.search(stderr)
    if match:
        name = match.group(1)
        return (f"{name} has no pure-Python wheel (it needs a C extension, which the agent "
                "runtime cannot load): remove it from the requirements, or find a pure-Python "
                "alternative")
    errors = [line.removeprefix("ERROR: ") for line in stderr.splitlines()
              if line.startswith("ERROR:")]
    return f"pip failed: {errors[0] if errors else stderr.strip().splitlines()[-1]}"
