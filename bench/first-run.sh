#!/usr/bin/env bash
# The README's promise, measured: on a fresh machine, a new user reaches a decrypted value
# in under two minutes. This clones the repository into an empty directory, gives cargo
# an empty CARGO_HOME (so every crate is downloaded again) and an empty target directory,
# runs the README's first command (`bash scripts/demo.sh`) and reports the seconds from
# the clone to the first decrypted value, and to the end of the demo.
#
#   bash bench/first-run.sh           # RUNS=1
#   RUNS=3 bash bench/first-run.sh
#
# Only the Rust toolchain (rustup's, in RUSTUP_HOME) is reused. Nothing else may compile
# on the machine meanwhile, or the numbers mean nothing.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${RUNS:-1}
LIMIT=120
export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}
unset CARGO_TARGET_DIR CARGO_BUILD_TARGET_DIR RUSTFLAGS
WORK=$(mktemp -d /tmp/enseal-first-run.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

since() { awk -v s="$1" -v n="$(date +%s.%N)" 'BEGIN { printf "%.1f", n - s }'; }
worst=0
for run in $(seq 1 "$RUNS"); do
  rm -rf "$WORK/run" && mkdir -p "$WORK/run"
  export CARGO_HOME=$WORK/run/cargo-home
  start=$(date +%s.%N)
  git clone -q "$ROOT" "$WORK/run/enseal"
  # Each output line stamped with the seconds since the start.
  (cd "$WORK/run/enseal" && bash scripts/demo.sh 2>&1) | while IFS= read -r line; do
    printf '%7.1f %s\n' "$(since "$start")" "$line"
  done > "$WORK/run/log"
  status=${PIPESTATUS[0]}
  total=$(since "$start")
  # The first decrypted value: the password the demo extracts from the sample file.
  value=$(grep -m1 -E '^ *[0-9.]+ correct-horse-battery-staple$' "$WORK/run/log" | awk '{print $1}' || true)
  if [ "$status" != 0 ] || [ -z "$value" ]; then
    cat "$WORK/run/log" >&2
    echo "run $run: the demo failed (exit $status)" >&2
    exit 1
  fi
  printf 'run %d: decrypted value after %.1f s, demo done after %.1f s\n' "$run" "$value" "$total"
  worst=$(awk -v a="$value" -v b="$worst" 'BEGIN { print (a > b ? a : b) }')
done
if awk -v w="$worst" -v l="$LIMIT" 'BEGIN { exit !(w < l) }'; then
  printf 'worst of %d: %.1f s, under the %d s the README promises\n' "$RUNS" "$worst" "$LIMIT"
else
  printf 'worst of %d: %.1f s, OVER the %d s the README promises\n' "$RUNS" "$worst" "$LIMIT" >&2
  exit 1
fi
