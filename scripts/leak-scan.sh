#!/usr/bin/env bash
# After the test suite: no plaintext of a test secret (tests/leak-canaries.txt) may be
# left in the temp locations the suite used: the directories given (the suite's own
# TMPDIR, and what it added to /dev/shm).
#
#   bash scripts/leak-scan.sh DIR...
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PATTERNS=$ROOT/tests/leak-canaries.txt
dirs=()
for d in "$@"; do
  [ -e "$d" ] && dirs+=("$d")
done
files=0
found=""
if [ ${#dirs[@]} -gt 0 ]; then
  files=$(find "${dirs[@]}" -type f 2>/dev/null | wc -l)
  found=$(find "${dirs[@]}" -type f -print0 2>/dev/null | xargs -0 -r grep -l -F -f "$PATTERNS" 2>/dev/null || true)
fi
if [ -n "$found" ]; then
  echo "leak-scan: test secrets left in:" >&2
  echo "$found" >&2
  exit 1
fi
echo "leak-scan: no test secret in $files file(s) left in ${dirs[*]:-(nothing left)}"
