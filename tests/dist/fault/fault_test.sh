#!/bin/sh
# fault_test.sh PROBE MPIEXEC [MPIEXEC FLAGS...]: a job whose rank 1 exits, hangs or throws must
# end non-zero, with a message, well within a time limit (never a hang); a
# healthy job must succeed. The collective timeout is 2 s here.
set -u
probe=$1
shift
export CUTRAIN_DIST_TIMEOUT=2
passed=0
failed=0
check() {  # mode expected-rc(0|nonzero) pattern, then the mpiexec command
  mode=$1 want=$2 pattern=$3
  shift 3
  start=$(date +%s)
  out=$(timeout 60 "$@" -np 3 "$probe" "$mode" 2>&1)
  rc=$?
  took=$(( $(date +%s) - start ))
  ok=1
  if [ "$want" = 0 ] && [ $rc -ne 0 ]; then ok=0; fi
  if [ "$want" != 0 ] && { [ $rc -eq 0 ] || [ $rc -eq 124 ]; }; then ok=0; fi
  if [ $took -gt 30 ]; then ok=0; fi
  if ! printf '%s\n' "$out" | grep -Eq "$pattern"; then ok=0; fi
  if [ $ok = 1 ]; then
    passed=$((passed + 1))
    echo "fault_test: $mode: rc $rc after ${took} s: ok"
  else
    failed=$((failed + 1))
    echo "fault_test: $mode: FAILED (rc $rc after ${took} s, wanted rc $want and /$pattern/); output:"
    printf '%s\n' "$out" | tail -20
  fi
}
check ok 0 "rank 2 done" "$@"
check hang nonzero "did not complete within 2 s: a peer rank has failed, exited or hung" "$@"
check exit nonzero "exited|non-zero status|did not complete within 2 s" "$@"
check throw nonzero "rank 1 fails on purpose|did not complete within 2 s|signal" "$@"
echo "fault_test: $passed passed, $failed failed"
[ $failed -eq 0 ]
