#!/usr/bin/env bash
# Installs the node (idempotent), builds the default kernel image when its
# sources changed, and runs it: `ww run images/kernel`.  Extra arguments go
# to `ww run` (e.g. --port 0, --log-level info).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/install.sh
image=images/kernel
wasm=$image/boot/main.wasm
if [[ ! -f $wasm ]] || [[ -n $(find "$image" src/wetnode/guest src/wetnode/capnproto src/wetnode/codec.py -name '*.py' -newer "$wasm" -print -quit) ]]; then
    echo "[run] building $image (componentize-py, ~10 s)" >&2
    .venv/bin/ww build "$image"
fi
exec .venv/bin/ww run "$@" "$image"
