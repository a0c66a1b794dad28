#!/usr/bin/env bash
# The main test run, as two pytest processes side by side (the machine has 2 cores, and one
# pytest process uses about one): the browser tests and the notebooks in one, everything else
# (unit tests, doctests, coverage simulations, peer cross-checks) in the other. Each writes its
# own log; the first is printed as it runs, the second whole when it ends.
# Usage: bash .ci/test-main.sh [pytest args...]   (PY, TMP from the Makefile)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
TMP=${TMP:-$PWD/.tmp}
mkdir -p "$TMP/main" "$TMP/ui"
common=(-o faulthandler_timeout=900 -p no:cacheprovider)
t0=$(date +%s)
( TMPDIR=$TMP/ui timeout 4800 "$PY" -m pytest tests/browser notebooks --nbmake \
    --basetemp="$TMP/ui/pytest" "${common[@]}" "$@" >"$TMP/ui.log" 2>&1 ) &
ui=$!
# exit 5 (nothing collected) is a pass when pytest arguments narrowed the run to one side
ok() { [ "$1" -eq 0 ] || { [ "$1" -eq 5 ] && [ "$#" -gt 1 ] && [ -n "$2" ]; }; }
status=0
TMPDIR=$TMP/main timeout 4800 "$PY" -m pytest tests evalkit --ignore=tests/browser \
  --basetemp="$TMP/main/pytest" "${common[@]}" "$@" || status=$?
echo "== unit tests, doctests, simulations: exit $status, $(( $(date +%s) - t0 )) s"
if ok "$status" "$*"; then status=0; fi
if wait "$ui"; then rc=0; else rc=$?; fi
echo "======== browser tests and notebooks (exit $rc, $(( $(date +%s) - t0 )) s) ========"
cat "$TMP/ui.log"
ok "$rc" "$*" || status=$rc
exit "$status"
