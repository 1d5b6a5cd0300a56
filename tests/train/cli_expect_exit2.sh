#!/bin/sh
# Usage: cli_expect_exit2.sh PATTERN CUTRAIN ARGS...
# Passes when `CUTRAIN ARGS...` exits with code 2 and its output contains PATTERN.
pattern=$1
shift
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne 2 ]; then
  echo "expected exit code 2, got $rc"
  exit 1
fi
case "$out" in
  *"$pattern"*) exit 0 ;;
  *) echo "output does not mention '$pattern'"; exit 1 ;;
esac
