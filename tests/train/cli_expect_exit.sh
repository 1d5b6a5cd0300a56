#!/bin/sh
# Usage: cli_expect_exit.sh CODE PATTERN ANTIPATTERN CUTRAIN ARGS...
# Passes when `CUTRAIN ARGS...` exits with CODE, its output contains PATTERN
# and, when ANTIPATTERN is not empty, does not contain ANTIPATTERN (e.g.
# "training " for an error that must come before training starts).
code=$1
pattern=$2
anti=$3
shift 3
out=$("$@" 2>&1)
rc=$?
printf '%s\n' "$out"
if [ "$rc" -ne "$code" ]; then
  echo "expected exit code $code, got $rc"
  exit 1
fi
case "$out" in
  *"$pattern"*) ;;
  *) echo "output does not mention '$pattern'"; exit 1 ;;
esac
if [ -n "$anti" ]; then
  case "$out" in
    *"$anti"*) echo "output mentions '$anti' (the error came too late)"; exit 1 ;;
  esac
fi
exit 0
