"""Issue 11's bar table from `fa-bench run --kernel flash,flash3,cudnn` runs under OUT/bars-<round>/ (device scripts).

Usage: bar_table.py OUT. Per (pass, head dim, causal, N): flash3's median time and sampled SM clock per round,
cudnn_ms / flash3_ms per round, and TFLOP/s of flash, flash3 and cudnn in the first round.
"""
import collections
import csv
import glob
import sys

NAN = float('nan')
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/bars-*/results.csv')):
    for r in csv.DictReader(open(f)):
        k = (r['pass'], int(r['head_dim']), r['causal'][0], int(r['seqlen_q']))
        ok = r['status'] == 'ok'
        t[(k, r['kernel'])].append((float(r['median_ms']) if ok else NAN, float(r['tflops']) if ok else NAN,
                                    float(r['sm_clock_sample_mhz'] or 'nan') if ok else NAN))
print("pass   D   c N     | flash3 ms (MHz) per round | cudnn/flash3 per round | TFLOP/s flash flash3 cudnn (round 1)")
for k in sorted({k for k, _ in t}):
    n, c, a = t[(k, 'flash3')], t[(k, 'cudnn')], t[(k, 'flash')]
    print("%-6s D%-3d %s %-5d | %s | %s | %.0f %.0f %.0f" % (
        k[0], k[1], k[2], k[3], ' '.join('%.3f (%.0f)' % (x[0], x[2]) for x in n),
        ' '.join('%.3f' % (x[0] / y[0]) for x, y in zip(c, n)), a[0][1] if a else NAN, n[0][1], c[0][1]))
