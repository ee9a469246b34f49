#!/usr/bin/env bash
# Benchmarks (make bench): packs the built pkg/ (no rebuild) with `npm pack`, installs the tarball
# into the scratch project bench/, then runs bench/run.mjs, which writes BENCHMARKS.md.
# Extra arguments go to bench/run.mjs (e.g. --runs 3, --quick, --out /tmp/B.md).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

if [ ! -f pkg/package.json ] || [ ! -f pkg/mcp_edge_pool_bg.wasm ]; then
  echo "bench: pkg/ is missing or incomplete; run 'make pkg' first (bench builds nothing)" >&2
  exit 1
fi
if [ ! -d tests/js/node_modules/@modelcontextprotocol/sdk ] || [ ! -d tests/js/node_modules/esbuild ]; then
  echo "bench: tests/js/node_modules (SDK, esbuild, workerd) is missing; run 'make setup' first" >&2
  exit 1
fi

# Our own pack directory: target/pack belongs to the test scripts, which may run concurrently.
pack_dir=target/bench-pack
rm -rf "$pack_dir"
mkdir -p "$pack_dir"
tarball=$(npm pack ./pkg --pack-destination "$pack_dir" --silent | tail -n 1)
tarball="$PWD/$pack_dir/$tarball"
[ -f "$tarball" ] || { echo "bench: npm pack produced no tarball" >&2; exit 1; }

rm -rf bench/node_modules
(cd bench && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$tarball" >/dev/null)
[ -f bench/node_modules/mcp-edge-pool/package.json ] \
  || { echo "bench: the tarball did not install into bench/node_modules" >&2; exit 1; }
echo "bench: installed $(basename "$tarball") ($(wc -c < "$tarball") bytes) into bench/node_modules"

exec node --no-warnings --expose-gc bench/run.mjs --tarball "$tarball" "$@"
