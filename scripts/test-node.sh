#!/usr/bin/env bash
# Node tests of the *published* package: packs the built pkg/ (no rebuild) with `npm pack`,
# installs the tarball into the scratch project tests/node/ and runs tests/node/*.test.mjs,
# which import it by name ("mcp-edge-pool") against the real MCP server fixtures (tests/servers/).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

if [ ! -f pkg/package.json ] || [ ! -f pkg/mcp_edge_pool_bg.wasm ]; then
  echo "test-node: pkg/ is missing or incomplete; run 'make pkg' first" >&2
  exit 1
fi
if [ ! -d tests/js/node_modules/@modelcontextprotocol/sdk ] || [ ! -x "$PYTHON" ]; then
  echo "test-node: the server fixtures' dependencies are missing; run 'make setup' first" >&2
  exit 1
fi

pack_dir=target/pack
rm -rf "$pack_dir"
mkdir -p "$pack_dir"
tarball=$(npm pack ./pkg --pack-destination "$pack_dir" --silent | tail -n 1)
tarball="$PWD/$pack_dir/$tarball"
[ -f "$tarball" ] || { echo "test-node: npm pack produced no tarball" >&2; exit 1; }
echo "test-node: packed $(basename "$tarball") ($(wc -c < "$tarball") bytes)"

rm -rf tests/node/node_modules
(cd tests/node && npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$tarball" >/dev/null)
[ -f tests/node/node_modules/mcp-edge-pool/package.json ] \
  || { echo "test-node: the tarball did not install into tests/node/node_modules" >&2; exit 1; }

# Every test server binds 127.0.0.1, and the package's Node client honours HTTP_PROXY / HTTPS_PROXY:
# a proxy of the machine (needed above by npm, maybe) must not carry the tests' requests.
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY
exec node --test --test-concurrency=1 "${@:-tests/node/}"
