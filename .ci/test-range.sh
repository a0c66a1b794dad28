#!/usr/bin/env bash
# The declared dependency range, tested: the library's own tests (unit tests, doctests, notebooks;
# not the slow coverage simulations, the browser tests, the irrCAC peer cross-checks or the Phoenix
# round trip) in two extra environments that uv resolves from the registries:
#   .venv-pandas3  the newest pandas 3 and numpy (and newest everything else)
#   .venv-lowest   uv's --resolution lowest-direct: every lower bound in pyproject.toml
# --no-config: ignore [tool.uv] (its pandas<3 override is for the locked dev environment only).
# Usage: bash .ci/test-range.sh [pandas3|lowest]...   (default: both, run in parallel)
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-.venv/bin/uv}
BASE_PY=${BASE_PY:-.venv/bin/python}
TMP=${TMP:-$PWD/.tmp}
ignore=(--ignore=tests/browser)
for f in $(grep -rlE '^\s*(from|import) irrCAC' tests || true); do ignore+=("--ignore=$f"); done

run_env() {
  local name=$1; shift
  local venv=.venv-$name t0 t1 t2
  t0=$(date +%s)
  rm -rf "$venv"
  "$UV" venv -q --python "$BASE_PY" "$venv"
  VIRTUAL_ENV=$venv "$UV" pip install -q --no-config "$@" -e ".[test]"
  t1=$(date +%s)
  echo "== $name: $("$venv/bin/python" -c '
import sys, numpy, pandas, scipy, pyarrow, plotly, sklearn, statsmodels
print(f"python {sys.version.split()[0]}, pandas {pandas.__version__}, numpy {numpy.__version__}, "
      f"scipy {scipy.__version__}, pyarrow {pyarrow.__version__}, plotly {plotly.__version__}, "
      f"scikit-learn {sklearn.__version__}, statsmodels {statsmodels.__version__}")')"
  mkdir -p "$TMP/$name"
  TMPDIR=$TMP/$name timeout 1800 "$venv/bin/python" -m pytest tests evalkit notebooks --nbmake \
    -m "not slow and not browser" "${ignore[@]}" -p no:cacheprovider -q \
    --basetemp="$TMP/$name/pytest" -o faulthandler_timeout=900
  t2=$(date +%s)
  echo "== $name: install $((t1 - t0)) s, tests $((t2 - t1)) s"
}

one_env() {
  case $1 in
    pandas3) run_env pandas3 --resolution highest "pandas>=3" ;;
    lowest) run_env lowest --resolution lowest-direct ;;
    *) echo "unknown environment $1 (pandas3 | lowest)"; return 2 ;;
  esac
}

# The environments run side by side (one pytest process each: the machine has 2 cores); each
# writes its own log, printed whole when it ends, so the output does not interleave.
envs=()
for which in "${@:-pandas3 lowest}"; do for w in $which; do envs+=("$w"); done; done
mkdir -p "$TMP"
pids=()
for w in "${envs[@]}"; do
  ( one_env "$w" >"$TMP/$w.log" 2>&1 ) &
  pids+=($!)
done
status=0
for i in "${!envs[@]}"; do
  if wait "${pids[$i]}"; then rc=0; else rc=$?; fi
  echo "======== ${envs[$i]} (exit $rc) ========"
  cat "$TMP/${envs[$i]}.log"
  [ "$rc" -eq 0 ] || status=$rc
done
exit "$status"
