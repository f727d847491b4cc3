"""The table of an interleaved comparison, for the device-call scripts of this folder.

Usage: variants.py OUT v1,v2,... [what]  (results under OUT/<what>-<variant>-<round>/results.csv; v1 is the
reference; `what` keeps one group of points)
Per point: each variant's median time per round, the median over rounds against v1's, TFLOP/s, cuDNN's time over
each variant's (where a `cudnn` variant ran), and for points with dropout its cost over the same point without.
"""
import collections
import csv
import glob
import statistics
import sys

out, variants = sys.argv[1], sys.argv[2].split(',')
only = sys.argv[3] if len(sys.argv) > 3 else None
ms, tf = collections.defaultdict(list), collections.defaultdict(list)
for f in sorted(glob.glob(out + '/*-*-*/results.csv')):
    what, v, _ = f.split('/')[-2].split('-')
    if only is not None and what != only:
        continue
    for r in csv.DictReader(open(f)):
        k = (what, int(r['seqlen_q']), int(r['head_dim']), r['dtype'], r['causal'][0], float(r['dropout']))
        ok = r['status'] == 'ok'
        ms[(k, v)].append(float(r['median_ms']) if ok else float('nan'))
        tf[(k, v)].append(float(r['tflops']) if ok else float('nan'))


def med(k, v):
    return statistics.median(ms[(k, v)])


print("point (what N D dtype causal p) | ms per round per variant | median against %s | TFLOP/s | cudnn/variant"
      % variants[0])
for k in sorted({k for k, _ in ms}):
    have = [v for v in variants if (k, v) in ms]
    if not have:
        continue
    rounds = ' | '.join(v + ' ' + ' '.join('%.4f' % x for x in ms[(k, v)]) for v in have)
    rel = ' '.join('%s %.3f' % (v, med(k, v) / med(k, have[0])) for v in have[1:])
    tflops = ' '.join('%s %.0f' % (v, statistics.median(tf[(k, v)])) for v in have + ['cudnn'] if (k, v) in tf)
    cudnn = ' '.join('%s %.3f' % (v, med(k, 'cudnn') / med(k, v)) for v in have) if (k, 'cudnn') in ms else '-'
    print("%s %d D%d %s %s p%.1f | %s | %s | %s | %s" % (k + (rounds, rel or '-', tflops, cudnn)))
costs = sorted({k for k, _ in ms if k[5] > 0 and (k[:5] + (0.0,), variants[0]) in ms})
if costs:
    print("dropout cost (time with dropout / without - 1, medians of rounds):")
    for k in costs:
        k0 = k[:5] + (0.0,)
        print("  %s %d D%d %s %s p%.1f: %s" % (k + (' '.join(
            '%s %+.1f%%' % (v, 100 * (med(k, v) / med(k0, v) - 1))
            for v in variants + ['cudnn'] if (k, v) in ms and (k0, v) in ms),)))
