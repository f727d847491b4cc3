#!/usr/bin/env bash
# scripts/plot.py on tests/plot/fixture_results.json (2 kernels x 4 seqlens x 2 head dims, counters
# on the head-dim 64 rows, one oom row) and on the golden CSV: the expected PNG and SVG files come
# out, are real images, and the flags and bad inputs behave. Exit 77 (CTest: skipped) when no
# python3 with matplotlib is found.
#   tests/plot/test_plot.sh scripts/plot.py tests/plot/fixture_results.json
set -uo pipefail
plot=${1:?usage: test_plot.sh PLOT_PY FIXTURE_JSON}
fixture=${2:?usage: test_plot.sh PLOT_PY FIXTURE_JSON}
golden_csv=$(dirname "$fixture")/../golden/reports.csv

# Debian's python3-matplotlib belongs to /usr/bin/python3, which another python3 on the PATH (pyenv,
# a venv) may hide: try FA_PYTHON, then python3, then /usr/bin/python3.
python=
for candidate in "${FA_PYTHON:-}" python3 /usr/bin/python3; do
  [[ -n $candidate ]] && command -v "$candidate" >/dev/null 2>&1 || continue
  if "$candidate" -c 'import matplotlib' >/dev/null 2>&1; then
    python=$candidate
    break
  fi
done
if [[ -z $python ]]; then
  echo "SKIP: no python3 with matplotlib (Debian: apt-get install python3-matplotlib)"
  exit 77
fi

failures=0
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- the fixture, both formats, with the GEMM peak line -------------------------------------------
"$python" "$plot" "$fixture" --out "$tmp/all" --format png,svg --gemm-peak 779 >"$tmp/out.txt" 2>"$tmp/err.txt"
rc=$?
[[ $rc -eq 0 ]] || fail "plot.py exited $rc: $(cat "$tmp/err.txt")"

expected=()
for group in d64-fp16-fwd-noncausal d128-fp16-fwd-noncausal; do
  expected+=("tflops_$group" "memory_$group")
done
expected+=(hbm_d64-fp16-fwd-noncausal)  # only the head-dim 64 rows carry counters
for stem in "${expected[@]}"; do
  png=$tmp/all/$stem.png svg=$tmp/all/$stem.svg
  if [[ ! -f $png ]]; then
    fail "$stem.png missing"
  else
    [[ $(head -c 8 "$png" | od -An -tx1 | tr -d ' \n') == 89504e470d0a1a0a ]] || fail "$stem.png: not a PNG"
    (($(stat -c %s "$png") > 10000)) || fail "$stem.png: only $(stat -c %s "$png") bytes"
  fi
  if [[ ! -f $svg ]]; then
    fail "$stem.svg missing"
  else
    grep -q "<svg" "$svg" || fail "$stem.svg: no <svg element"
    (($(stat -c %s "$svg") > 10000)) || fail "$stem.svg: only $(stat -c %s "$svg") bytes"
  fi
done
[[ ! -e $tmp/all/hbm_d128-fp16-fwd-noncausal.png ]] || fail "HBM figure drawn for a group without counters"
n_files=$(find "$tmp/all" -type f | wc -l)
[[ $n_files -eq 10 ]] || fail "expected 10 files, found $n_files: $(ls "$tmp/all")"
[[ $(wc -l <"$tmp/out.txt") -eq 10 ]] || fail "stdout should list the 10 files: $(cat "$tmp/out.txt")"

# What the figures say (SVG text is kept as text).
grep -q "GEMM peak 779 TFLOP/s" "$tmp/all/tflops_d64-fp16-fwd-noncausal.svg" || fail "GEMM peak line not labelled"
grep -q "standard measured" "$tmp/all/hbm_d64-fp16-fwd-noncausal.svg" || fail "HBM legend lacks 'standard measured'"
grep -q "flash IO model" "$tmp/all/hbm_d64-fp16-fwd-noncausal.svg" || fail "HBM legend lacks 'flash IO model'"
grep -q "device peak" "$tmp/all/memory_d64-fp16-fwd-noncausal.svg" || fail "d64 memory should use the device peak"
grep -q "operands + scratch" "$tmp/all/memory_d128-fp16-fwd-noncausal.svg" ||
  fail "d128 memory (no device peak) should use operands + scratch"
grep -q "NVIDIA H100 80GB HBM3" "$tmp/all/tflops_d128-fp16-fwd-noncausal.svg" || fail "device from metadata not in the title"

# The oom row is skipped and named on stderr.
grep -q "skipped 1 row" "$tmp/err.txt" || fail "skip count missing on stderr: $(cat "$tmp/err.txt")"
grep -q "standard/fwd/B8-H16-N4096-D128-fp16: oom" "$tmp/err.txt" || fail "oom row not listed on stderr"

# --- one format, no peak line ----------------------------------------------------------------------
"$python" "$plot" "$fixture" --out "$tmp/svg" --format svg >/dev/null 2>&1 || fail "--format svg failed"
[[ $(find "$tmp/svg" -name '*.svg' | wc -l) -eq 5 && $(find "$tmp/svg" -name '*.png' | wc -l) -eq 0 ]] ||
  fail "--format svg: expected 5 SVG and no PNG, got: $(ls "$tmp/svg" 2>&1)"
if grep -q "GEMM peak" "$tmp/svg/tflops_d64-fp16-fwd-noncausal.svg" 2>/dev/null; then
  fail "GEMM peak line drawn without --gemm-peak"
fi

# --- CSV input: the golden report (several kernels, a block-sparse row, non-ok rows) --------------
if [[ -f $golden_csv ]]; then
  "$python" "$plot" "$golden_csv" --out "$tmp/csv" --format png >/dev/null 2>"$tmp/csv_err.txt" ||
    fail "CSV input failed: $(cat "$tmp/csv_err.txt")"
  [[ -s $tmp/csv/tflops_d64-fp16-fwd-noncausal.png ]] || fail "CSV input: tflops_d64-fp16-fwd-noncausal.png missing"
  grep -q "skipped 3 row" "$tmp/csv_err.txt" || fail "CSV input: 3 non-ok rows should be listed"
fi

# --- bad input: exit 2 -----------------------------------------------------------------------------
expect_exit() {
  local want=$1 what=$2
  shift 2
  "$python" "$plot" "$@" --out "$tmp/bad" >/dev/null 2>&1
  local got=$?
  [[ $got -eq $want ]] || fail "$what: exit $got, expected $want"
}
echo '{"schema": "something/else", "rows": []}' >"$tmp/other.json"
echo '{"schema": "fa-bench/results", "schema_version": 1, "metadata": {}, "rows": []}' >"$tmp/empty.json"
expect_exit 2 "missing file" "$tmp/nope.json"
expect_exit 2 "other schema" "$tmp/other.json"
expect_exit 2 "--format jpg" "$fixture" --format jpg
expect_exit 2 "--gemm-peak -1" "$fixture" --gemm-peak -1
expect_exit 1 "no rows" "$tmp/empty.json"

if ((failures)); then
  echo "$failures check(s) failed"
  exit 1
fi
echo "plot.py: all checks passed ($python)"
