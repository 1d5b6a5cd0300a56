#!/bin/sh
# Usage: run_ecosystem_readers.sh SOURCE_DIR CUTRAIN
# Runs tests/interop/ecosystem_readers.py with the test venv's Python
# (tools/setup.sh makes SOURCE_DIR/.venv); exit 77 (skip) without it.
src=$1
cutrain=$2
py="${CUTRAIN_TOOLS_PYTHON:-$src/.venv/bin/python}"
if [ ! -x "$py" ]; then
  echo "SKIP: no test venv at $py (run tools/setup.sh)"
  exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$py" "$src/tests/interop/ecosystem_readers.py" "$cutrain" "$work"
