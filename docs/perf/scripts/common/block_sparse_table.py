"""block_sparse against flash3 from runs under OUT/bs-<round>/ (device scripts; an all-kept mask: issue 11 asks
for block_sparse within 5 % of flash3). Usage: block_sparse_table.py OUT."""
import collections
import csv
import glob
import sys

t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/bs-*/results.csv')):
    for r in csv.DictReader(open(f)):
        t[((int(r['head_dim']), r['causal'][0], int(r['seqlen_q'])), r['kernel'])].append(float(r['median_ms']))
for k in sorted({k[0] for k in t}):
    a, b = t[(k, 'flash3')], t[(k, 'block_sparse')]
    print("fwd N%d D%-3d %s | flash3 %s | block_sparse %s | bs/flash3 per round %s" % (
        k[2], k[0], k[1], ' '.join('%.4f' % x for x in a), ' '.join('%.4f' % x for x in b),
        ' '.join('%.3f' % (y / x) for x, y in zip(a, b))))
