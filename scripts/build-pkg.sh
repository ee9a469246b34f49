#!/usr/bin/env bash
# Builds the complete, publishable npm package into pkg/: wasm-pack (web target, release,
# wasm-opt from binaryen on npm), then our manifest (pkg.json) and the runtime entry points.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
# wasm-pack writes into pkg/ without emptying it: a file an older build left (a removed entry, a snippets/
# folder under an older hash, which "files" would pack and the entries' host.js lookup below could pick)
# must not outlive its build. node_modules/ stays (undici, installed below only when its version changed).
if [ -d pkg ]; then
  find pkg -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
fi
wasm-pack build --target web --release --out-dir pkg --out-name mcp_edge_pool --no-pack >/dev/null 2>pkg-build.log \
  || { cat pkg-build.log >&2; exit 1; }
rm -f pkg-build.log pkg/.gitignore pkg/package.json
# wasm-bindgen's JS glue ships minified (most of its bytes are whitespace, comments and long local
# names), with its names kept (--keep-names: a stack says `new McpPool`, not `new R`). The helper it
# copied under snippets/ (host.js) ships as written: it builds every McpPoolError, and an uncaught
# one prints the source line where it was made, which minified was a 2 KB line of code
# (tests/node/uncaught.test.mjs).
command -v esbuild >/dev/null || { echo "build-pkg: esbuild is missing; run 'make setup'" >&2; exit 1; }
esbuild pkg/mcp_edge_pool.js --minify --keep-names --format=esm --log-level=error \
  --outfile=pkg/mcp_edge_pool.js --allow-overwrite
cp pkg.json pkg/package.json
cp js/node_undici.mjs js/lifetimes.mjs js/load_wasm.mjs js/store.mjs js/store.d.ts js/durable-object.d.ts js/web.d.ts js/mcp_types.d.ts pkg/
# The entries' declarations: wasm-bindgen's, less its loader's (scripts/finish-dts.mjs); the MCP result
# types they import are generated from the official schema (scripts/gen-mcp-types.mjs, js/mcp_types.d.ts).
node scripts/finish-dts.mjs
rm -f pkg/mcp_edge_pool_bg.wasm.d.ts # the wasm's raw exports, for no entry
# The entries import the helper wasm-bindgen copied under snippets/ (its folder name has a hash): the
# Node client's hook, and the McpPoolError class every entry exports (durable-object.mjs: the class only,
# for the calling Worker's rebuilt errors, without the wasm).
host=$(cd pkg && find snippets -path '*/src/wasm/host.js' | head -n 1)
[ -n "$host" ] || { echo "build-pkg: no snippets/*/src/wasm/host.js in pkg/" >&2; exit 1; }
for entry in node workerd browser web durable-object; do
  sed "s#__HOST_JS__#./$host#" "js/$entry.mjs" > "pkg/$entry.mjs"
done
# durable-object.mjs (not durable_object): a resolver without "exports" support (TypeScript's node10) finds
# `mcp-edge-pool/durable-object` by its file name, as it finds `./store`.
# The package's README is the npm-facing one (install, a quick start per runtime, options, error codes,
# troubleshooting); the repository's README.md stays the contributors'. Its relative links point only at
# files the tarball has (tests/pkg/readme.test.mjs). The licences ship with it.
cp js/README.md pkg/README.md
cp LICENSE-MIT LICENSE-APACHE pkg/
# The Node entry's HTTP client is undici (pkg.json "dependencies", pinned): installed into pkg/node_modules
# so that pkg/ runs in place as an installed package does (the demo, soak, bench and tests/pkg import
# pkg/node.mjs). `npm pack` leaves node_modules/ out; users get undici from the dependency.
undici=$(node -p 'require("./pkg.json").dependencies.undici')
if [ "$(node -p 'try { require("./pkg/node_modules/undici/package.json").version } catch { "" }')" != "$undici" ]; then
  (cd pkg && npm install --omit=dev --no-package-lock --no-audit --no-fund --loglevel=error >/dev/null) \
    || { echo "build-pkg: npm could not install undici $undici into pkg/node_modules" >&2; exit 1; }
fi
echo "built pkg/: $(wc -c < pkg/mcp_edge_pool_bg.wasm) bytes of wasm"
