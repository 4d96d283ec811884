#!/usr/bin/env bash
# Installs what wetnode needs into this checkout; safe to run again (each step
# skips itself when its inputs have not changed).
#
#   scripts/install.sh          the node: .venv with wetnode and its dependencies
#   scripts/install.sh --test   also test tools: pytest, npm tools (anvil, solc, js-ipfs, Helia)
#
# Needs: python3 (>= 3.11) with venv, gcc + Python headers and libgmp-dev
# (fastecdsa, pinned by libp2p, builds from source), node + npm for --test.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
want_test=0
[[ "${1:-}" == "--test" ]] && want_test=1

say() { printf '[install] %s\n' "$*" >&2; }

stamp_ok() {  # stamp_ok NAME HASH: true when NAME was installed from inputs HASH
    [[ -f ".venv/.stamp-$1" && "$(cat ".venv/.stamp-$1")" == "$2" ]]
}

if ! dpkg -s libgmp-dev >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1 && [[ $(id -u) == 0 ]]; then
    say "installing libgmp-dev (needed to build fastecdsa)"
    apt-get install -y -q libgmp-dev >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q libgmp-dev >/dev/null; }
fi

if [[ ! -x .venv/bin/python ]]; then
    say "creating .venv"
    python3 -m venv .venv
fi

extras=""
[[ $want_test == 1 ]] && extras="[test]"
py_hash=$(cat pyproject.toml | sha256sum | cut -c1-16)"$extras"
if ! stamp_ok python "$py_hash"; then
    say "installing wetnode$extras into .venv (first time: about a minute)"
    .venv/bin/python -m pip install -q --upgrade pip
    .venv/bin/python -m pip install -q -e ".$extras" 2>&1 | grep -v -e "is ignored: it is neither" -e "^ *$" >&2 || true
    .venv/bin/python -c "import wetnode, capnp, libp2p, wasmtime" || { say "installation failed"; exit 1; }
    echo "$py_hash" > .venv/.stamp-python
fi

# scripts/node: anvil, solc, js-ipfs (Node 20).  scripts/node/helia: a Helia peer
# and the Node 22 binary it runs on, a package of its own so the js-ipfs
# overrides cannot reach its dependencies.
npm_tools() {  # npm_tools DIR STAMP
    local hash
    hash=$(cat "$1/package.json" | sha256sum | cut -c1-16)
    if ! stamp_ok "$2" "$hash"; then
        say "installing npm test tools ($1)"
        (cd "$1" && npm install --no-audit --no-fund --loglevel=error)
        echo "$hash" > ".venv/.stamp-$2"
    fi
}
if [[ $want_test == 1 ]]; then
    npm_tools scripts/node node
    npm_tools scripts/node/helia node-helia
fi
say "ready"
