#!/usr/bin/env bash
# Device call 11 (session 18): bf16 D 256 non-causal ran 0.89-0.90x cuDNN in calls 7 and 10 (session 17: 0.98-1.00),
# at lower clocks; its SASS changed this session only by the consumer index broadcast. main (the submitted build)
# against orig (85a0286, the session's start): bf16 D 64/128/256, N 8192, causal both, three interleaved rounds;
# cuDNN once.
source "$(dirname "$0")/../common/device.sh"
P="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype bf16 --causal both --pass fwd"
cudnn_once b16:40:P
flash3_rounds 3 main,orig b16:40:P
python3 "$COMMON/variants.py" $OUT main,orig | tee -a $S
python3 - $OUT <<'PY' | tee -a $S
import csv, glob, sys, collections, statistics
c = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/b16-*-*/results.csv')):
    v = f.split('/')[-2].split('-')[1]
    for r in csv.DictReader(open(f)):
        c[(int(r['head_dim']), r['causal'][0], v)].append(float(r['median_ms']) * float(r['sm_clock_sample_mhz']) / 1000)
for k in sorted(c):
    print("clock-normalised Mcycles D%d %s %-5s %s" % (k[0], k[1], k[2], ' '.join('%.4f' % x for x in c[k])))
PY
pack bench
