#!/usr/bin/env bash
# Device call 6 (session 14), main built at be4fac0: (1) the hardware-counter tests alone (call 3 ran them beside
# another process); (2) the fwd+bwd D128 N8192 non-causal bar, three more runs; (3) Nsight Compute full sets of the
# flash3 forward at the seed point without and with dropout 0.2, summarised by ncu_top_stalls.py (session 13);
# (4) branch drop-offload2 (the same drawer design, keys precomputed on the host) at the seed point.
set -uo pipefail
cd .carry && for f in *.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests exp/* && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
timeout 60 $T "[counters]" > $OUT/counters.log 2>&1
note "[counters] alone rc=$? $(grep -E 'test cases|All tests' $OUT/counters.log | tail -1)"
for round in 1 2 3; do
  timeout 60 $B run --kernel flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype bf16 --pass fwdbwd --max-time 0.15 --no-counters --out $OUT/nc-$round > /dev/null 2>&1
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys
for i in (1, 2, 3):
    r = {x['kernel']: x for x in csv.DictReader(open('%s/nc-%d/results.csv' % (sys.argv[1], i)))}
    f, c = r['flash3'], r['cudnn']
    print("fwd+bwd D128 N8192 run %d: flash3 %.3f ms (%s MHz), cudnn %.3f ms (%s MHz), cudnn/flash3 %.3f" % (i, float(f['median_ms']),
          f['sm_clock_sample_mhz'][:4], float(c['median_ms']), c['sm_clock_sample_mhz'][:4], float(c['median_ms']) / float(f['median_ms'])))
PY
prof() {  # name, kernel regex, fa-bench profile args
  local n=$1 k=$2; shift 2
  timeout 150 ncu --clock-control none --profile-from-start off --set full --import-source yes -k "regex:$k" -c 1 -o $OUT/$n $B profile "$@" > $OUT/$n.log 2>&1
  note "ncu $n rc=$?"
  ncu -i $OUT/$n.ncu-rep --page details > $OUT/$n-details.txt 2>&1
  ncu -i $OUT/$n.ncu-rep --page source --print-source sass --csv > $OUT/$n-sass.csv 2>&1
  rm -f $OUT/$n.ncu-rep
  grep -E "Duration|Issue Slots Busy|No Eligible|Executed Instructions  |Tensor" $OUT/$n-details.txt | head -8 | tee -a $S
  python3 .carry/ncu_top_stalls.py $OUT/$n-sass.csv 40 > $OUT/$n-top-stalls.txt 2>&1; head -3 $OUT/$n-top-stalls.txt | cut -c1-400 | tee -a $S
  rm -f $OUT/$n-sass.csv
}
prof seed-p0 flash3_fwd_kernel --kernel flash3 --pass fwd --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16
prof seed-p02 flash3_fwd_kernel --kernel flash3 --pass fwd --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0.2
pack ncu
for round in 1 2; do
  for v in main d18; do
    Y=$B; [[ $v == d18 ]] && Y=.carry/exp/fa-bench-d18
    timeout 30 $Y run --kernel flash3 --batch 32 --heads 8 --seqlen 2048 --head-dim 64,128 --dtype fp16 --dropout 0,0.2 --pass fwd --max-time 0.15 --no-counters --out $OUT/seed-$v-$round > /dev/null 2>&1
  done
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/seed-*-*/results.csv')):
    v = f.split('/')[-2].split('-')[1]
    for r in csv.DictReader(open(f)):
        t[((int(r['head_dim']), float(r['dropout'])), v)].append(float(r['median_ms']))
for k in sorted({k for k, _ in t}):
    m, d = statistics.median(t[(k, 'main')]), statistics.median(t[(k, 'd18')])
    print("seed D%d p%.1f: main %.4f ms, drop-offload2 %.4f ms (%.3f)" % (k[0], k[1], m, d, d / m))
PY
pack seed
