# Sourced by device-call scripts (docs/perf/scripts/<session>/), in the repository root on the device machine:
# unpacks the carried binaries, sets B (fa-bench under test), T (its GPU tests), S (the summary), F (the timing
# flags), prints the GPU, and defines note (a summary line), bin_of (a variant's binary) and pack (results into a
# .tgz).
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
