#!/usr/bin/env bash
# Installs everything the build and the tests need. Idempotent: each step checks whether it is already
# satisfied (at the right version) and skips; prints one line per step. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)

WASM_PACK_VERSION=0.15.1
SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo

step() { # step NAME: remembers the name and start time for done_/skip
  STEP=$1; T0=$(date +%s)
}
done_() { echo "setup: $STEP: $* ($(($(date +%s) - T0)) s)"; }

# Waits while another process runs `cargo install <crate>` (never start a concurrent install of the same tool).
wait_cargo_install() {
  while pgrep -f "cargo install .*$1( |$)" >/dev/null 2>&1; do sleep 5; done
}

# 1. Rust target for wasm.
step "rustup target wasm32-unknown-unknown"
if rustup target list --installed | grep -qx wasm32-unknown-unknown; then done_ "present, skipped"
else rustup target add wasm32-unknown-unknown >/dev/null 2>&1; done_ "installed"; fi

# 2. wasm-pack, pinned.
step "wasm-pack $WASM_PACK_VERSION"
wait_cargo_install wasm-pack
if [ "$(wasm-pack --version 2>/dev/null || true)" = "wasm-pack $WASM_PACK_VERSION" ]; then done_ "present, skipped"
else cargo install wasm-pack --version "$WASM_PACK_VERSION" --locked --quiet; done_ "installed"; fi

# 3. wasm-bindgen CLI at exactly the wasm-bindgen version in Cargo.lock (installed WITHOUT --locked:
#    with it the install fails on a locked transitive crate missing from the registry index).
step "wasm-bindgen-cli"
[ -f Cargo.lock ] || cargo generate-lockfile --quiet
WB_VERSION=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3; exit }' Cargo.lock)
if [ -z "$WB_VERSION" ]; then done_ "wasm-bindgen not in Cargo.lock, skipped"
else
  wait_cargo_install wasm-bindgen-cli
  if [ "$(wasm-bindgen --version 2>/dev/null || true)" = "wasm-bindgen $WB_VERSION" ]; then
    done_ "$WB_VERSION present, skipped"
  else cargo install wasm-bindgen-cli --version "$WB_VERSION" --quiet; done_ "$WB_VERSION installed"; fi
fi

# 4. Chromium and chromedriver from Debian (browser tests). Not Debian's binaryen: it breaks the wasm.
step "chromium, chromium-driver"
missing=
for p in chromium chromium-driver; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
if [ -z "$missing" ]; then done_ "present, skipped"
else
  $SUDO apt-get update -qq >/dev/null
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  done_ "installed$missing"
fi

# npm_deps DIR: `npm ci` in DIR unless installed. npm keeps node_modules/.package-lock.json; a
# package-lock.json newer than it means "reinstall". A node_modules that is a symlink (a git worktree
# sharing another checkout's install) is left alone: `npm ci` through it would empty the tree it
# points to, under the feet of whoever uses it, and replace the link with a copy.
npm_deps() {
  local dir=$1 marker=$1/node_modules/.package-lock.json
  step "npm deps in $dir"
  if [ -L "$dir/node_modules" ]; then done_ "shared ($(readlink "$dir/node_modules")), skipped"
  elif [ -f "$marker" ] && [ ! "$dir/package-lock.json" -nt "$marker" ]; then done_ "present, skipped"
  else (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); done_ "installed (npm ci)"; fi
}

# 5. npm dev/test deps (MCP SDK, binaryen 132, esbuild, workerd, playwright-core, Node 22).
npm_deps tests/js

# 5a. The type tests' tools (typescript, @types/node, @cloudflare/workers-types, @arethetypeswrong/cli,
#     publint; and the package's undici, so that installing the packed tarball there fetches nothing).
#     `npm ci` there also removes the mcp-edge-pool tarball that tests/types/types.test.mjs installs.
npm_deps tests/types

# 5b. The MCP conformance suite, pinned (needs Node 22, which step 5 brings). `npm ci` there also
#     removes the mcp-edge-pool tarball that scripts/test-conformance.sh installs (it installs it again).
npm_deps tests/conformance

# 6. Python venv for the Python MCP server fixture: every package pinned with its hash
#    (tests/servers/requirements.lock, made from requirements.in), so a fresh machine installs exactly
#    what CI ran. A venv whose stamp differs is rebuilt from scratch: nothing left over from an older lock.
step "python venv .venv"
req=tests/servers/requirements.lock
stamp=.venv/.requirements.sha256
want=$(sha256sum "$req" | cut -d' ' -f1)
if [ -x .venv/bin/python ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ] && .venv/bin/python -c 'import mcp, uvicorn, starlette' 2>/dev/null; then
  done_ "present, skipped"
else
  rm -rf .venv
  python3 -m venv .venv
  # PIP_FIND_LINKS (set on some machines) could offer a locally built wheel whose hash is not the lock's.
  env -u PIP_FIND_LINKS .venv/bin/python -m pip install -q --require-hashes --no-deps -r "$req"
  .venv/bin/python -m pip check >/dev/null
  echo "$want" > "$stamp"
  done_ "installed ($(.venv/bin/python -m pip show mcp sse-starlette 2>/dev/null | awk '/^(Name|Version)/ {printf "%s ", $2}'))"
fi

# 7. Check that scripts/env.sh resolves the tools it promises.
step "scripts/env.sh"
(. scripts/env.sh && [ "$(command -v wasm-opt)" = "$ROOT/tests/js/node_modules/binaryen/bin/wasm-opt" ] \
  && "$NODE22" --version | grep -q '^v22\.' && "$PYTHON" -c 'import mcp') \
  || { echo "setup: scripts/env.sh: tools not found as expected" >&2; exit 1; }
done_ "ok"
