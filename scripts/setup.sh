#!/usr/bin/env bash
# Idempotent setup for development and CI: the system tools the test rig runs (a real registry,
# git, sshd, gpg, htpasswd, PostgreSQL), then .venv with the project installed in editable mode with [dev].
# Quiet on success; prints one line saying what it did. Safe to run on every test run.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# buildah + mmdebstrap: the container image test builds the Dockerfile FROM a locally bootstrapped base.
# tinyproxy: the forward proxy GitRepository proxySecretRef is tested through.
# postgresql: the state store tests run a real server (initdb/postgres in a temporary directory).
APT_PACKAGES=(docker-registry git openssh-server openssh-client gnupg apache2-utils ca-certificates tinyproxy
  buildah mmdebstrap postgresql)
VENV=.venv
STAMP="$VENV/.setup-stamp"
did=()

# Run a command with its output kept back; show the output only when it fails.
quietly() {
  local log status=0
  log="$(mktemp)"
  "$@" >"$log" 2>&1 || status=$?
  if [ "$status" -ne 0 ]; then
    echo "setup: failed: $*" >&2
    cat "$log" >&2
  fi
  rm -f "$log"
  return "$status"
}

# The first interpreter >= 3.11 that can create a venv with pip (Debian needs python3-venv).
find_python() {
  local candidate
  for candidate in python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 \
      && "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' \
        >/dev/null 2>&1; then
      command -v "$candidate"
      return 0
    fi
  done
  return 1
}

missing_packages() {
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
      || echo "$pkg"
  done
}

install_system_packages() {
  local wanted=("${APT_PACKAGES[@]}") missing sudo=()
  if [ ! -d "$VENV" ] && ! find_python >/dev/null; then
    wanted+=(python3 python3-venv)
  fi
  if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "setup: not a Debian system; install these yourself: ${wanted[*]}" >&2
    return 0
  fi
  mapfile -t missing < <(missing_packages "${wanted[@]}")
  [ "${#missing[@]}" -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    sudo=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  quietly "${sudo[@]}" apt-get update
  quietly "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
  did+=("apt installed ${missing[*]}")
}

create_venv() {
  [ -x "$VENV/bin/python" ] && return 0
  local python
  if ! python="$(find_python)"; then
    echo "setup: need Python >= 3.11 with venv (python3.11, or python3 >= 3.11)" >&2
    return 1
  fi
  quietly "$python" -m venv "$VENV"
  did+=("created $VENV with $("$VENV/bin/python" -V 2>&1)")
}

# pip runs only when pyproject.toml changed since the last successful install.
install_project() {
  local want
  want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
  if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    return 0
  fi
  quietly "$VENV/bin/pip" install -q --disable-pip-version-check -e '.[dev]'
  echo "$want" >"$STAMP"
  did+=("pip installed .[dev]")
}

install_system_packages
create_venv
install_project
if [ "${#did[@]}" -eq 0 ]; then
  echo "setup: nothing to do"
else
  printf -v summary '%s; ' "${did[@]}"
  echo "setup: ${summary%; }"
fi
