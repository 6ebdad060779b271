#!/usr/bin/env bash
# The README's first command: the whole job end to end on this machine.
# Starts a local OCI registry and a local git remote, pushes images, runs `reconcile` with the
# example policies/, and shows the commit it pushed. Everything lives under $DEMO_DIR.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/setup.sh
exec .venv/bin/python scripts/demo.py "$@"
