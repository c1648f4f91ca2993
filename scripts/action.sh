#!/usr/bin/env bash
# The steps of the GitHub Action (action.yml), kept here so that they can be run and
# tested outside GitHub (tests/cli/action.rs).
#   action.sh install   build enseal from this checkout unless the same version is on PATH
#   action.sh run       run enseal $INPUT_COMMAND with $INPUT_ARGS (scan: SARIF to upload)
set -euo pipefail
ACTION_PATH=${ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}

output() { [ -n "${GITHUB_OUTPUT:-}" ] && echo "$1=$2" >>"$GITHUB_OUTPUT" || true; }

case "${1:-}" in
install)
  want=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ACTION_PATH/Cargo.toml" | head -1)
  if command -v enseal >/dev/null && [ "$(enseal --version)" = "enseal $want" ]; then
    echo "enseal $want is installed: $(command -v enseal)"
    exit 0
  fi
  command -v cargo >/dev/null || {
    curl -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
    export PATH=$HOME/.cargo/bin:$PATH
  }
  cargo build --release --locked --manifest-path "$ACTION_PATH/Cargo.toml"
  echo "$ACTION_PATH/target/release" >>"${GITHUB_PATH:-/dev/null}"
  ;;
run)
  : "${INPUT_COMMAND:?the action needs a command}"
  case "$INPUT_COMMAND" in
    render | exec-env | exec-file | decrypt | status | doctor | scan) ;;
    *) echo "enseal action: unknown command '$INPUT_COMMAND'" >&2; exit 2 ;;
  esac
  # An empty input is no key at all, not an empty one.
  [ -n "${SOPS_AGE_KEY:-}" ] || unset SOPS_AGE_KEY
  # Split like a shell does, quotes included, but never evaluate: no $(…) or globs.
  args=()
  if [ -n "${INPUT_ARGS:-}" ]; then
    mapfile -t args < <(printf '%s' "$INPUT_ARGS" | xargs -n1 printf '%s\n')
  fi
  output sarif-file ""
  if [ "$INPUT_COMMAND" = scan ] && [ "${INPUT_UPLOAD_SARIF:-true}" = true ]; then
    sarif=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/enseal-scan.sarif
    status=0
    enseal scan --format sarif "${args[@]}" >"$sarif" || status=$?
    case $status in
      0) output findings false ;;
      1) output findings true; echo "enseal scan: findings written to $sarif" ;;
      *) exit "$status" ;;
    esac
    output sarif-file "$sarif"
    exit 0
  fi
  exec enseal "$INPUT_COMMAND" "${args[@]}"
  ;;
*)
  echo "usage: action.sh install|run" >&2
  exit 2
  ;;
esac
