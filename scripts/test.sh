#!/usr/bin/env bash
# The project's test command: setup, lint, format check, type check, then pytest.
# Arguments go to pytest (e.g. `bash scripts/test.sh tests/rig -x`). Stops at the first failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh
bin=.venv/bin
echo "test: ruff check"
"$bin/ruff" check .
echo "test: ruff format --check"
"$bin/ruff" format --check .
echo "test: mypy"
"$bin/mypy"
echo "test: lint-imports"
imports_log="$(mktemp)"
"$bin/lint-imports" --no-cache >"$imports_log" 2>&1 || { cat "$imports_log"; exit 1; }
tail -n 1 "$imports_log"
echo "test: pytest $*"
exec "$bin/python" -m pytest "$@"
