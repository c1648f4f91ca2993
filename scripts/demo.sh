#!/usr/bin/env bash
# The main job on a fresh machine, with nothing but the binary: make a local age key,
# encrypt a sample secrets file, show it, decrypt it and check the round trip.
# Everything happens in a throw-away HOME that is removed on exit; no cloud account,
# no network, no sops.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

echo "building enseal (release)..."
cargo build --release --quiet --bin enseal
ENSEAL=${CARGO_TARGET_DIR:-$ROOT/target}/release/enseal
SAMPLE=$ROOT/fixtures/cli/sample.yaml

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
umask 077
# A clean identity: nothing from the caller's keys, config or sops settings leaks in.
for var in $(compgen -e | grep -E '^(SOPS_|ENSEAL_)' || true); do unset "$var"; done
export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config
mkdir -p "$HOME" "$WORK/project"
cp "$SAMPLE" "$WORK/project/secrets.yaml"
cd "$WORK/project"

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B='' N=''; fi
step() { printf '\n%s$ %s%s\n' "$B" "$*" "$N"; }

step enseal --version
"$ENSEAL" --version
step "enseal keygen                      # new age identity in ~/.config/sops/age/keys.txt"
"$ENSEAL" keygen
step "enseal encrypt secrets.yaml > secrets.enc.yaml   # no key given: the local key is used"
"$ENSEAL" encrypt secrets.yaml > secrets.enc.yaml
step "cat secrets.enc.yaml              # keys and structure stay readable; values and comments are encrypted"
cat secrets.enc.yaml
step enseal filestatus secrets.enc.yaml
"$ENSEAL" filestatus secrets.enc.yaml
step enseal decrypt secrets.enc.yaml
"$ENSEAL" decrypt secrets.enc.yaml
step "enseal decrypt --extract '[\"database\"][\"password\"]' secrets.enc.yaml"
"$ENSEAL" decrypt --extract '["database"]["password"]' secrets.enc.yaml
echo
# sample.yaml is written in sops' normal form (4-space indent, one comment per line), so
# the decrypted output must be the original, byte for byte.
step "diff -u fixtures/cli/sample.yaml <(enseal decrypt secrets.enc.yaml)"
if diff -u "$SAMPLE" <("$ENSEAL" decrypt secrets.enc.yaml); then
  printf '\nround trip OK: the decrypted file is byte for byte the original\n'
else
  echo "round trip FAILED: the decrypted file differs from the original" >&2
  exit 1
fi
