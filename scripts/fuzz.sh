#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets) for FUZZ_SECONDS each (default 20),
# starting from the committed seeds (fuzz/seeds/TARGET) plus whatever fuzz/corpus/TARGET
# has gathered. A crash fails the run and leaves the input in fuzz/artifacts/TARGET.
#
#   bash scripts/fuzz.sh                       # the short run CI does
#   FUZZ_SECONDS=600 bash scripts/fuzz.sh template store_yaml
#
# Needs a nightly toolchain and cargo-fuzz (both installed if missing).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
SECS=${FUZZ_SECONDS:-20}
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
targets=("$@")
[ ${#targets[@]} -gt 0 ] || mapfile -t targets < <(cargo +nightly fuzz list)
cargo +nightly fuzz build -O
for t in "${targets[@]}"; do
  mkdir -p "fuzz/corpus/$t"
  start=$SECONDS
  log=$(mktemp)
  if ! cargo +nightly fuzz run -O "$t" "fuzz/corpus/$t" "fuzz/seeds/$t" -- \
      -max_total_time="$SECS" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 >"$log" 2>&1; then
    tail -40 "$log"
    rm -f "$log"
    echo "fuzz: $t FAILED (input in fuzz/artifacts/$t)" >&2
    exit 1
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  echo "fuzz: $t ok: $runs executions in $((SECONDS - start)) s"
  rm -f "$log"
done
