#!/usr/bin/env bash
# The official MCP conformance suite (client scenarios), pinned in tests/conformance/package.json,
# against tests/conformance/client.mjs, a client built on the *published* package: packs the built
# pkg/ (no rebuild) like scripts/test-node.sh, installs the tarball into tests/conformance/ next to
# the suite, and runs tests/conformance/run.mjs (Node 22, which the suite needs). Arguments are
# passed on to run.mjs (substrings of "<scenario>@<version>" to run only some).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh

if [ ! -f pkg/package.json ] || [ ! -f pkg/mcp_edge_pool_bg.wasm ]; then
  echo "test-conformance: pkg/ is missing or incomplete; run 'make pkg' first" >&2
  exit 1
fi
if [ ! -f tests/conformance/node_modules/@modelcontextprotocol/conformance/package.json ]; then
  echo "test-conformance: the conformance suite is not installed; run 'make setup' first" >&2
  exit 1
fi

pack_dir=target/pack-conformance
rm -rf "$pack_dir"
mkdir -p "$pack_dir"
tarball=$(npm pack ./pkg --pack-destination "$pack_dir" --silent | tail -n 1)
tarball="$PWD/$pack_dir/$tarball"
[ -f "$tarball" ] || { echo "test-conformance: npm pack produced no tarball" >&2; exit 1; }
# --no-save: package.json and package-lock.json stay as they are (the suite, pinned).
(cd tests/conformance && npm install --no-save --no-audit --no-fund --loglevel=error "$tarball" >/dev/null)
[ -f tests/conformance/node_modules/mcp-edge-pool/package.json ] \
  || { echo "test-conformance: the tarball did not install into tests/conformance/node_modules" >&2; exit 1; }

# Every test server binds 127.0.0.1, and the package's Node client honours HTTP_PROXY / HTTPS_PROXY:
# a proxy of the machine (needed above by npm, maybe) must not carry the tests' requests.
unset http_proxy HTTP_PROXY https_proxy HTTPS_PROXY
exec "$NODE22" tests/conformance/run.mjs "$@"
