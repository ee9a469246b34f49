#!/usr/bin/env bash
# Audits the Rust dependencies (Cargo.lock, and fuzz/Cargo.lock when present) with cargo-audit
# against the RustSec advisory database.
#
#   scripts/audit.sh [ADVISORY_DB] [-- extra cargo-audit flags, e.g. --deny warnings]
#   ADVISORY_DB=/path/to/advisory-db scripts/audit.sh
#
# - installs cargo-audit (`cargo install cargo-audit --locked`) if `cargo audit` is missing;
# - with an advisory DB (first argument, else $ADVISORY_DB): runs offline,
#   `cargo audit --no-fetch --db DB`. DB is a checkout of https://github.com/rustsec/advisory-db
#   (a directory holding crates/), or a git directory of it without a work tree (bare, or as the
#   workplace `fetch` tool brings it under /work/.mirror/), which is extracted (HEAD) to a
#   temporary directory first. Its commit and date are printed; cargo-audit does not check how
#   old a DB is when it does not fetch, so this script warns when the newest commit is more than
#   90 days old (advisories published since then are not checked). The yanked-crate check then
#   reads cargo's local crates.io index cache, as fresh as the last cargo build/fetch/update;
# - without one: runs `cargo audit`, which clones or updates the DB in ~/.cargo/advisory-db from
#   GitHub and updates the crates.io index. That needs network access to github.com: where only
#   package registries are reachable, get the DB another way and pass it in.
# Exits non-zero when cargo-audit reports a vulnerability (or, with --deny, a warning) in any
# lockfile, or could not run.
set -euo pipefail
cd "$(dirname "$0")/.."

db=${ADVISORY_DB:-}
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
  db=$1
  shift
fi
if [ $# -gt 0 ] && [ "$1" = "--" ]; then
  shift
fi
extra=("$@")

if ! cargo audit --version >/dev/null 2>&1; then
  echo "audit.sh: installing cargo-audit (cargo install cargo-audit --locked)"
  cargo install cargo-audit --locked
fi
echo "audit.sh: $(cargo audit --version)"

lockfiles=(Cargo.lock)
[ -f fuzz/Cargo.lock ] && lockfiles+=(fuzz/Cargo.lock)

tmp=
cleanup() { if [ -n "$tmp" ]; then rm -rf "$tmp"; fi; }
trap cleanup EXIT

flags=()
if [ -n "$db" ]; then
  if [ ! -d "$db" ]; then
    echo "audit.sh: advisory DB '$db' is not a directory" >&2
    exit 2
  fi
  db=$(cd "$db" && pwd)
  gitdir=()
  if [ -d "$db/crates" ]; then
    if git -C "$db" rev-parse --verify -q HEAD >/dev/null 2>&1; then
      gitdir=(-C "$db")
    fi
  elif git --git-dir="$db" rev-parse --verify -q 'HEAD^{commit}' >/dev/null 2>&1; then
    tmp=$(mktemp -d)
    git --git-dir="$db" archive HEAD | tar -x -C "$tmp"
    gitdir=(--git-dir="$db")
    echo "audit.sh: extracted HEAD of the git directory $db to $tmp"
    db=$tmp
  fi
  if [ ! -d "$db/crates" ]; then
    echo "audit.sh: '$db' does not look like the RustSec advisory DB (no crates/ directory)" >&2
    exit 2
  fi
  if [ ${#gitdir[@]} -gt 0 ]; then
    commit=$(git "${gitdir[@]}" log -1 --format=%H HEAD)
    when=$(git "${gitdir[@]}" log -1 --format=%cI HEAD)
    age=$((($(date +%s) - $(git "${gitdir[@]}" log -1 --format=%ct HEAD)) / 86400))
    echo "audit.sh: advisory DB commit $commit of $when ($age days old)"
    if [ "$age" -gt 90 ]; then
      echo "audit.sh: WARNING: the advisory DB is $age days old (cargo audit would call it stale" \
        "past 90 days); advisories published since $when are not checked" >&2
    fi
  else
    echo "audit.sh: advisory DB $db is not a git checkout: its date is unknown" >&2
  fi
  flags=(--no-fetch --db "$db")
else
  echo "audit.sh: no advisory DB given: running 'cargo audit' online. It fetches the DB from" \
    "https://github.com/rustsec/advisory-db, which needs network access to github.com; where" \
    "only package registries are reachable this fails: then pass a copy of the DB," \
    "'scripts/audit.sh /path/to/advisory-db' (or ADVISORY_DB=...)."
fi

status=0
for lock in "${lockfiles[@]}"; do
  echo
  echo "== cargo audit ${flags[*]} --file $lock ${extra[*]:-}"
  if ! cargo audit "${flags[@]}" --file "$lock" "${extra[@]}"; then
    status=1
    if [ -z "$db" ]; then
      echo "audit.sh: cargo audit failed; if it could not fetch the advisory DB, see above:" \
        "pass a local copy of the DB as the first argument" >&2
    fi
  fi
done

echo
if [ "$status" -eq 0 ]; then
  echo "audit.sh: no vulnerabilities found in ${lockfiles[*]}"
else
  echo "audit.sh: cargo audit reported problems (or did not run) in at least one lockfile" >&2
fi
exit "$status"
