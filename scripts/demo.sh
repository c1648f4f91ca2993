#!/usr/bin/env bash
# The main job on a fresh machine, with nothing but the binary: make a local age key,
# encrypt a sample secrets file, show it, decrypt it and check the round trip.
# Everything happens in a throw-away HOME that is removed on exit; no cloud account,
# no network (beyond crates.io for the build), no sops.
#
# The build is the `quick` profile without the network key services (AWS, GCP, Azure,
# Vault): unoptimised and about 90 s on two cores, where the full release build takes
# about five minutes. It is the same code for age, SSH and PGP keys; `cargo install
# --path .` builds everything, optimised.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
START=$SECONDS

if ! command -v cargo >/dev/null; then
  echo "demo.sh: enseal is built with Rust (1.89 or newer), and cargo is not on PATH." >&2
  echo "  install it with https://rustup.rs, then run this again" >&2
  exit 1
fi
echo "building enseal (quick profile, local keys only; about 90 s on two cores)..."
cargo build --profile quick --no-default-features --quiet --bin enseal
ENSEAL=${CARGO_TARGET_DIR:-$ROOT/target}/quick/enseal
SAMPLE=$ROOT/fixtures/cli/sample.yaml
echo "built in $((SECONDS - START)) s: $ENSEAL"

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
echo "(a decrypted value, $((SECONDS - START)) s after the start)"
# sample.yaml is written in sops' normal form (4-space indent, one comment per line), so
# the decrypted output must be the original, byte for byte.
step "diff -u fixtures/cli/sample.yaml <(enseal decrypt secrets.enc.yaml)"
if diff -u "$SAMPLE" <("$ENSEAL" decrypt secrets.enc.yaml); then
  printf '\nround trip OK: the decrypted file is byte for byte the original\n'
else
  echo "round trip FAILED: the decrypted file differs from the original" >&2
  exit 1
fi

BIN=$(dirname "$ENSEAL")
cat <<EOF

Next, the README's 60-second tour with this build on PATH:
  export PATH="$BIN:\$PATH"
or install the full, optimised enseal (every key service; about 5 minutes on two cores):
  cargo install --path "$ROOT"
EOF
