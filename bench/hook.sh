#!/usr/bin/env bash
# Benchmark: `enseal hook pre-commit` on N staged encrypted files (the pre-commit check
# reads the index, needs no key). Also timed: the same with one plaintext YAML staged
# beside them (the check then reads every encrypted neighbour to rule out a decrypted
# copy), and git's own `git diff --cached --raw` as the floor.
#
#   bash bench/hook.sh            # N=1000
#   N=200 RUNS=10 bash bench/hook.sh
#
# Needs hyperfine (installed if missing, as root).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
N=${N:-1000} RUNS=${RUNS:-30}
WORK=${WORK:-/tmp/enseal-bench-hook}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
(cd "$ROOT" && cargo build --release --quiet)
ENSEAL=$ROOT/target/release/enseal

rm -rf "$WORK" && mkdir -p "$WORK/repo/secrets"
cd "$WORK"
R=$("$ENSEAL" keygen -o key.txt 2>/dev/null)
export SOPS_AGE_KEY_FILE=$WORK/key.txt
cd repo
git init -q -b main
printf 'creation_rules:\n  - path_regex: ^secrets/s[0-9]+\\.yaml$\n    age: %s\n' "$R" > .sops.yaml
for i in $(seq 1 "$N"); do
  printf '# service %d\nservice: app-%d\ndb:\n  user: app\n  password: pa55-%d\n  port: 5432\ntoken: tok-%d\n' "$i" "$i" "$i" "$i" \
    > "secrets/s$i.yaml"
done
for f in secrets/*.yaml; do "$ENSEAL" encrypt -i "$f"; done
git add -A
"$ENSEAL" hook pre-commit    # must pass: every staged file is encrypted
# A copy with one plaintext YAML staged beside the encrypted files.
cp -r "$WORK/repo" "$WORK/repo2"
printf 'replicas: 3\nimage: app:1.2\n' > "$WORK/repo2/secrets/deploy.yaml"
git -C "$WORK/repo2" add -A
(cd "$WORK/repo2" && "$ENSEAL" hook pre-commit)

hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/result.json" \
  -n "git diff --cached --raw ($N staged)" "git diff --cached --raw" \
  -n "enseal hook pre-commit ($N encrypted staged)" "$ENSEAL hook pre-commit"
cd "$WORK/repo2"
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$WORK/result2.json" \
  -n "enseal hook pre-commit ($N encrypted + 1 plaintext beside them)" "$ENSEAL hook pre-commit"

python3 - "$WORK/result.json" "$WORK/result2.json" <<'PY'
import json, sys
for f in sys.argv[1:]:
    for x in json.load(open(f))["results"]:
        print(f"{x['command']}: median {x['median']*1000:.1f} ms (min {x['min']*1000:.1f}, max {x['max']*1000:.1f})")
PY
