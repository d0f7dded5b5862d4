#!/bin/sh
# Runs the whole suite and ends with one plain summary line that CI reads:
#   busted: N passed, N failed, N skipped
set -u
LUA=${LUA:-lua5.4}
LOG=$(mktemp)
trap 'rm -f "$LOG"' EXIT

busted --lua="$LUA" -o utfTerminal "$@" 2>&1 | tee "$LOG"
status=$?
# tee hides busted's status in plain sh; recover it from the summary
summary=$(grep -E '[0-9]+ successes? / [0-9]+ failures? / [0-9]+ errors? / [0-9]+ pending' "$LOG" | tail -1)
if [ -z "$summary" ]; then
  echo "busted: 0 passed, 1 failed"
  exit 1
fi
passed=$(echo "$summary" | sed -E 's/.*\b([0-9]+) successes?.*/\1/')
failures=$(echo "$summary" | sed -E 's/.* ([0-9]+) failures?.*/\1/')
errors=$(echo "$summary" | sed -E 's/.* ([0-9]+) errors?.*/\1/')
pending=$(echo "$summary" | sed -E 's/.* ([0-9]+) pending.*/\1/')
failed=$((failures + errors))
echo "busted: $passed passed, $failed failed, $pending skipped"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ] || exit 1
