#!/usr/bin/env bash
# Runs every cargo-fuzz target of fuzz/ for SECONDS each (default 600), one after the other.
#
#   scripts/fuzz.sh [SECONDS] [-- extra libFuzzer flags]
#
# - installs cargo-fuzz if `cargo fuzz` is missing; needs the nightly toolchain (`rustup
#   toolchain install nightly`);
# - the committed seeds (fuzz/corpus/<target>/) are read only: new inputs go to a working corpus
#   in fuzz/target/corpus/<target>/ (git-ignored), so the seed set stays small;
# - crashes land in fuzz/artifacts/<target>/; logs in fuzz/target/logs/<target>.log; libFuzzer's
#   final stats (-print_final_stats=1) are printed after each run;
# - FUZZ_TARGETS="a b" picks targets (default: all, from `cargo fuzz list`); FUZZ_NICE sets the
#   niceness (default 19); FUZZ_RSS_MB the RSS limit (default 2048).
# Exits non-zero when any target found a crash or failed to build.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=600
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  seconds=$1
  shift
fi
if [ $# -gt 0 ] && [ "$1" = "--" ]; then
  shift
fi
case "$seconds" in
  '' | *[!0-9]*) echo "fuzz.sh: SECONDS must be a whole number, got '$seconds'" >&2; exit 2 ;;
esac

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "fuzz.sh: installing cargo-fuzz" >&2
  cargo install cargo-fuzz --locked
fi
if ! rustup run nightly rustc --version >/dev/null 2>&1; then
  echo "fuzz.sh: the nightly toolchain is missing: rustup toolchain install nightly" >&2
  exit 1
fi

nice_level=${FUZZ_NICE:-19}
rss_mb=${FUZZ_RSS_MB:-2048}
targets=${FUZZ_TARGETS:-$(cargo +nightly fuzz list --fuzz-dir fuzz)}
mkdir -p fuzz/target/logs
failed=()
for target in $targets; do
  work=fuzz/target/corpus/$target
  mkdir -p "$work" "fuzz/corpus/$target"
  log=fuzz/target/logs/$target.log
  echo "=== $target: ${seconds}s (log: $log)"
  status=0
  nice -n "$nice_level" cargo +nightly fuzz run --fuzz-dir fuzz "$target" "$work" "fuzz/corpus/$target" -- \
    -max_total_time="$seconds" -rss_limit_mb="$rss_mb" -print_final_stats=1 "$@" \
    >"$log" 2>&1 || status=$?
  grep -E '^(stat::|Done |#[0-9]+[[:space:]]+DONE)' "$log" || true
  if [ "$status" -ne 0 ]; then
    echo "=== $target FAILED (exit $status); see $log and fuzz/artifacts/$target/"
    grep -E 'panicked at|ERROR: libFuzzer|SUMMARY|Test unit written' "$log" || tail -n 20 "$log"
    failed+=("$target")
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: crashes or failures in: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz.sh: no crashes"
