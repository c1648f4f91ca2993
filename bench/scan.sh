#!/usr/bin/env bash
# Benchmark: `enseal scan` against detect-secrets 1.5.0 (PyPI) on the same generated
# corpus, in one run: throughput (MB/s), and recall/precision/decoys scored by
# ../shared/bench/score.py against the corpus's ground truth.
#
#   bash bench/scan.sh               # the 50 MB corpus (gen.py corpus defaults)
#   MB=10 bash bench/scan.sh
#
# detect-secrets takes minutes on 50 MB (it runs once); enseal runs 10 times after
# 2 warm-ups (hyperfine). Needs python3 and hyperfine (installed if missing, as root).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=$ROOT/../shared/bench
MB=${MB:-50}
WORK=${WORK:-/tmp/enseal-bench-scan}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
(cd "$ROOT" && cargo build --release --quiet)
ENSEAL=$ROOT/target/release/enseal
mkdir -p "$WORK"
if [ ! -x "$WORK/venv/bin/detect-secrets" ]; then
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install -q detect-secrets==1.5.0
fi
cd "$WORK"
[ -f "corpus-$MB.done" ] || { rm -rf corpus; python3 "$SHARED/gen.py" corpus --out "$WORK" --mb "$MB"; touch "corpus-$MB.done"; }
BYTES=$(find corpus -type f -printf '%s\n' | awk '{s+=$1} END {print s}')

hyperfine -N --warmup 2 --runs 10 -i --export-json enseal.json \
  "$ENSEAL scan --format sarif -o $WORK/enseal.sarif corpus"
start=$(date +%s.%N)
"$WORK/venv/bin/detect-secrets" scan --all-files corpus > detect-secrets.json
end=$(date +%s.%N)

python3 - "$BYTES" "$start" "$end" <<'PY'
import json, sys
size, start, end = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
e = json.load(open("enseal.json"))["results"][0]["median"]
d = end - start
print(f"corpus {size/1e6:.1f} MB; load {open('/proc/loadavg').read().split()[0]}")
print(f"enseal scan:    median {e:.3f} s = {size/1e6/e:.0f} MB/s")
print(f"detect-secrets: {d:.1f} s = {size/1e6/d:.2f} MB/s")
print(f"ratio: {d/e:.0f}x")
PY
for tool in enseal detect-secrets; do
  report=$([ $tool = enseal ] && echo enseal.sarif || echo detect-secrets.json)
  python3 "$SHARED/score.py" --report "$report" --truth corpus.truth.tsv --decoys corpus.decoys.tsv \
    --root corpus --tool "$tool" --json "score.$tool.json" > /dev/null
  python3 -c "import json; s=json.load(open('score.$tool.json')); print('$tool: recall', s['recall'], 'exact line', s['recall_exact'], 'precision', round(s['precision'],4), 'decoys', s['decoy_hits'], 'other fp', s['other_fp'])"
done
