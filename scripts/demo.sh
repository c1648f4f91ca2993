#!/usr/bin/env bash
# The main job on a fresh machine, with nothing but the binary: make a local age key,
# encrypt a sample secrets file, show it, decrypt it. Runs in a throw-away HOME.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
cargo build --release --quiet
ENSEAL=$ROOT/target/release/enseal
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config
unset SOPS_AGE_KEY_FILE SOPS_AGE_KEY SOPS_AGE_KEY_CMD ENSEAL_AGE_KEY_FILE
mkdir -p "$HOME"
cp fixtures/cli/sample.yaml "$WORK/secrets.yaml"
cd "$WORK"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
step enseal keygen
"$ENSEAL" keygen
step enseal encrypt -i secrets.yaml
"$ENSEAL" encrypt -i secrets.yaml
step cat secrets.yaml
cat secrets.yaml
step enseal filestatus secrets.yaml
"$ENSEAL" filestatus secrets.yaml
step enseal decrypt secrets.yaml
"$ENSEAL" decrypt secrets.yaml | tee decrypted.yaml
step "enseal decrypt --extract '[\"database\"][\"password\"]' secrets.yaml"
"$ENSEAL" decrypt --extract '["database"]["password"]' secrets.yaml; echo
if diff -u "$ROOT/fixtures/cli/sample.yaml" decrypted.yaml; then
  printf '\nround trip OK: the decrypted file equals the original\n'
else
  echo "round trip FAILED" >&2; exit 1
fi
