# Sourced by device-call scripts (docs/perf/scripts/<session>/), in the repository root on the device machine:
# unpacks the carried binaries, sets B (fa-bench under test), T (its GPU tests), S (the summary), F (the timing
# flags), prints the GPU, and defines note (a summary line), bin_of (a variant's binary) and pack (results into a
# .tgz); from session 17 also flash3_rounds and cudnn_once (interleaved timing of builds), tests_bg and checks_end
# (GPU tests beside other checks), and prof (Nsight Compute).
set -uo pipefail
COMMON=$(dirname "${BASH_SOURCE[0]}")  # this folder: variants.py, bar_table.py, block_sparse_table.py
(cd .carry && for f in *.xz exp/*.xz; do [[ -e $f ]] && xz -d -k -f "$f"; done
 chmod +x fa-bench fa_bench_gpu_tests 2>/dev/null; chmod +x exp/fa-bench-* 2>/dev/null; true)
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > "$S"
F="--max-time 0.15 --no-counters"
note() { echo "$*" | tee -a "$S"; }
# Variant v's binary: main is the build under test, the others were carried as .carry/exp/fa-bench-<v>.
bin_of() { if [[ $1 == main ]]; then echo "$B"; else echo ".carry/exp/fa-bench-$1"; fi; }
# Everything under $OUT but the summary and earlier archives into $1.tgz.
pack() {
  (cd "$OUT" && tar -czf "$1.tgz" --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') &&
   find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +)
}
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a "$S"
# flash3_rounds ROUNDS VARIANTS GROUP...: ROUNDS interleaved rounds; in each, every variant (comma-separated) runs
# every GROUP in turn. A GROUP is name:seconds:VAR, VAR naming a variable that holds the run's flags; results go to
# $OUT/<name>-<variant>-<round> (variants.py reads them).
flash3_rounds() {
  local rounds=$1 vs=$2 round v g name secs var; shift 2
  for round in $(seq "$rounds"); do
    for v in ${vs//,/ }; do
      for g in "$@"; do
        IFS=: read -r name secs var <<< "$g"
        timeout "$secs" "$(bin_of "$v")" run --kernel flash3 ${!var} $F --out "$OUT/$name-$v-$round" > /dev/null 2>&1
      done
    done
  done
}
# cudnn_once GROUP...: the cudnn family once on each GROUP's flags (name:seconds:VAR, as above), as round 1.
cudnn_once() {
  local g name secs var
  for g in "$@"; do
    IFS=: read -r name secs var <<< "$g"
    timeout "$secs" $B run --kernel cudnn ${!var} $F --out "$OUT/$name-cudnn-1" > /dev/null 2>&1
  done
}
# tests_bg SECONDS TAGS [BINARY]: the GPU tests of TAGS in the background, their result line into $OUT/rt.txt;
# checks_end waits for them (and any other background job writing $OUT/side.txt), adds both to the summary with
# the failures, and packs everything as tests.tgz.
tests_bg() {
  (timeout "$1" "${3:-$T}" "$2" > "$OUT/tests.log" 2>&1
   echo "tests rc=$? $(grep -E 'test cases' "$OUT/tests.log" | tail -1)" > "$OUT/rt.txt") &
}
checks_end() {
  wait
  cat "$OUT/rt.txt" "$OUT/side.txt" 2>/dev/null | tee -a "$S"
  grep -h -B3 -A12 FAILED "$OUT/tests.log" | head -40 | tee -a "$S"
  pack tests
}
# prof NAME KERNEL_REGEX PROFILE_ARGS...: an Nsight Compute full set of one launch of the matching kernel under
# `fa-bench profile`, kept as its details page and per-line SASS samples (xz), with a few headline lines.
prof() {
  local n=$1 k=$2; shift 2
  timeout 150 ncu --clock-control none --profile-from-start off --set full --import-source yes -k "regex:$k" -c 1 \
    -o "$OUT/$n" $B profile "$@" > "$OUT/$n.log" 2>&1
  note "ncu $n rc=$?"
  ncu -i "$OUT/$n.ncu-rep" --page details > "$OUT/$n-details.txt" 2>&1
  ncu -i "$OUT/$n.ncu-rep" --page source --print-source sass --csv > "$OUT/$n-sass.csv" 2>&1
  rm -f "$OUT/$n.ncu-rep"
  grep -E "Duration|Issue Slots Busy|Executed Instructions  |highest-utilized" "$OUT/$n-details.txt" | head -6 | tee -a "$S"
  xz -6 "$OUT/$n-sass.csv" "$OUT/$n-details.txt"
}
