#!/usr/bin/env bash
# Installs the node (idempotent), builds the default kernel image (checks its
# sources, copies the cached agent runtime) and runs it: `ww run images/kernel`.
# Extra arguments go to `ww run` (e.g. --port 0, --log-level info).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/install.sh
image=images/kernel
# Under a second once the shared agent runtime is cached (built once per SDK).
.venv/bin/ww build "$image" >/dev/null
exec .venv/bin/ww run "$@" "$image"
