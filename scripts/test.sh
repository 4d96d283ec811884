#!/usr/bin/env bash
# Installs everything the tests need (idempotent) and runs the whole suite:
# lint (ruff), types (mypy), then pytest.  Extra arguments go to pytest.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/install.sh --test
echo "[test] ruff check" >&2
lint=0
.venv/bin/ruff check . || lint=$?
echo "[test] mypy" >&2
# trio's own types, found before trio-typing's stale stubs (see [tool.mypy]).
mkdir -p .venv/typings
ln -sfn "$(.venv/bin/python -c 'import os, trio; print(os.path.dirname(trio.__file__))')" .venv/typings/trio
types=0
.venv/bin/mypy || types=$?
echo "[test] pytest" >&2
status=0
.venv/bin/python -m pytest "$@" || status=$?
if [[ $status == 5 ]]; then
    echo "[test] pytest collected no tests: that is a failure here" >&2
    exit 1
fi
if [[ $lint != 0 ]]; then
    echo "[test] ruff found problems (see above)" >&2
    [[ $status == 0 ]] && status=$lint
fi
if [[ $types != 0 ]]; then
    echo "[test] mypy found problems (see above)" >&2
    [[ $status == 0 ]] && status=$types
fi
exit $status
