#!/usr/bin/env bash
# The wasm face against real MCP servers, in Node and in headless Chrome.
#
#   scripts/test-wasm.sh            # both
#   scripts/test-wasm.sh node       # only `wasm-pack test --node`     (tests/wasm_node.rs)
#   scripts/test-wasm.sh chrome     # only `wasm-pack test --headless --chrome` (tests/wasm_browser.rs)
#
# Starts two tests/servers/ts_server.mjs on random loopback ports (one answering in SSE, one with
# --json) and tests/wasm_common/broken_server.mjs (drops connections mid-body), exports
# MCP_TEST_URL / MCP_TEST_URL_JSON / MCP_TEST_URL_BROKEN (read by the tests at compile time, so
# the test crates recompile when the ports change: a few seconds), runs the suites, stops the
# servers on exit. Exits non-zero when a suite fails or a server does not start.
#
# Env: WASM_PACK_PROFILE=--release to test the release build (cold compile ~45 s vs ~25 s;
# the dev build is fast enough for these tests). WASM_BINDGEN_TEST_TIMEOUT (whole browser run,
# in s; default here 120). CARGO_TARGET_DIR is honoured.
# Needs: wasm-pack, wasm-bindgen-cli = the wasm-bindgen version in Cargo.lock, node, and for
# chrome /usr/bin/chromium + chromedriver; tests/js/node_modules (npm ci) for the server's SDK.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# PATH for binaryen's wasm-opt (npm, before Debian's broken one) and tests/js tools.
if [ -f scripts/env.sh ]; then
  # shellcheck source=/dev/null
  . scripts/env.sh
fi

which_suites=${1:-all}
case "$which_suites" in
  all | node | chrome) ;;
  *) echo "usage: $0 [all|node|chrome]" >&2; exit 2 ;;
esac

if [ ! -d tests/js/node_modules/@modelcontextprotocol/sdk ]; then
  echo "test-wasm: tests/js/node_modules is missing: run (cd tests/js && npm ci) or scripts/setup.sh" >&2
  exit 1
fi

# wasm-pack downloads what is missing (fails offline): check the tools first.
for tool in node wasm-pack wasm-bindgen; do
  command -v "$tool" >/dev/null || { echo "test-wasm: $tool is not on PATH (see scripts/setup.sh)" >&2; exit 1; }
done
want_bindgen=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/[^0-9.]/, ""); print; exit }' Cargo.lock)
have_bindgen=$(wasm-bindgen --version | awk '{ print $2 }')
if [ -n "$want_bindgen" ] && [ "$want_bindgen" != "$have_bindgen" ]; then
  echo "test-wasm: wasm-bindgen CLI $have_bindgen on PATH, Cargo.lock has $want_bindgen:" >&2
  echo "  cargo install wasm-bindgen-cli --version $want_bindgen" >&2
  exit 1
fi
if [ "$which_suites" != node ] && ! command -v chromedriver >/dev/null; then
  echo "test-wasm: chromedriver is not on PATH (apt-get install chromium chromium-driver)" >&2
  exit 1
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mcp-test-wasm.XXXXXX")
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# start_server NAME SCRIPT [ARGS...]: starts a server script on port 0 in the background (with
# node, or with $PYTHON for a .py script), waits for its "LISTENING <port>" line, and sets PORT.
PORT=""
start_server() {
  local name=$1 script=$2
  shift 2
  local out="$WORK/$name.out" err="$WORK/$name.err"
  local interpreter=node
  case "$script" in *.py) interpreter=${PYTHON:-.venv/bin/python} ;; esac
  # Create the files first: the background job opens them only when it gets to run.
  : >"$out"
  : >"$err"
  "$interpreter" "$script" --port 0 "$@" >"$out" 2>"$err" &
  local pid=$!
  PIDS+=("$pid")
  PORT=""
  local i
  for i in $(seq 1 200); do
    PORT=$(sed -n 's/^LISTENING \([0-9][0-9]*\)$/\1/p' "$out" | head -n1)
    [ -n "$PORT" ] && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "test-wasm: the $name server exited before listening:" >&2
      cat "$err" >&2
      return 1
    fi
    sleep 0.05
  done
  echo "test-wasm: the $name server did not print LISTENING within 10 s:" >&2
  cat "$err" >&2
  return 1
}

start_server sse tests/servers/ts_server.mjs
sse_port=$PORT
start_server json tests/servers/ts_server.mjs --json
json_port=$PORT
start_server broken tests/wasm_common/broken_server.mjs
broken_port=$PORT
start_server modern tests/servers/py_server.py --modern-only
modern_port=$PORT

export MCP_TEST_URL="http://127.0.0.1:$sse_port/mcp"
export MCP_TEST_URL_JSON="http://127.0.0.1:$json_port/mcp"
export MCP_TEST_URL_BROKEN="http://127.0.0.1:$broken_port/mcp"
export MCP_TEST_URL_MODERN="http://127.0.0.1:$modern_port/mcp"
export WASM_BINDGEN_TEST_TIMEOUT=${WASM_BINDGEN_TEST_TIMEOUT:-120}
echo "test-wasm: MCP_TEST_URL=$MCP_TEST_URL MCP_TEST_URL_JSON=$MCP_TEST_URL_JSON MCP_TEST_URL_BROKEN=$MCP_TEST_URL_BROKEN MCP_TEST_URL_MODERN=$MCP_TEST_URL_MODERN"

profile=()
if [ -n "${WASM_PACK_PROFILE:-}" ]; then
  profile=("$WASM_PACK_PROFILE")
fi

status=0
run() {
  local label=$1
  shift
  local started=$SECONDS
  echo "test-wasm: === $label: wasm-pack test $* ==="
  if wasm-pack test "$@"; then
    echo "test-wasm: $label passed in $((SECONDS - started)) s"
  else
    echo "test-wasm: $label FAILED (after $((SECONDS - started)) s)" >&2
    status=1
    local log
    for log in "$WORK"/*.err; do
      if [ -s "$log" ]; then
        echo "test-wasm: stderr of the $(basename "$log" .err) server:" >&2
        tail -n 20 "$log" >&2
      fi
    done
  fi
}

if [ "$which_suites" != chrome ]; then
  run node --node "${profile[@]}" -- --test wasm_node
fi
if [ "$which_suites" != node ]; then
  run chrome --headless --chrome "${profile[@]}" -- --test wasm_browser
fi
exit "$status"
