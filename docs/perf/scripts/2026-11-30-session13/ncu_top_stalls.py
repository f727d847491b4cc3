# Summarises an `ncu --page source --print-source sass --csv` export: stall reasons over all samples, samples by
# opcode, and the N hottest SASS lines with their two main stall reasons.
#   python3 ncu_top_stalls.py <kernel>-sass.csv [N]
import csv, sys, collections
rows = list(csv.reader(open(sys.argv[1])))
hdr = rows[1]; data = rows[2:]
ia, isrc, iss = hdr.index("Address"), hdr.index("Source"), hdr.index("Warp Stall Sampling (All Samples)")
stall_cols = [i for i, h in enumerate(hdr) if h.startswith("stall_") and "Not Issued" not in h]
tot = sum(float(r[iss] or 0) for r in data)
print("total samples", tot)
agg = collections.Counter()
for r in data:
    for i in stall_cols: agg[hdr[i]] += float(r[i] or 0)
print(" ".join("%s %.1f%%" % (k, 100*v/tot) for k, v in agg.most_common(10)))
# by opcode
op = collections.Counter()
for r in data: op[r[isrc].split()[0] if not r[isrc].startswith('@') else r[isrc].split()[1]] += float(r[iss] or 0)
print("by opcode:", " ".join("%s %.1f%%" % (k, 100*v/tot) for k, v in op.most_common(14)))
top = sorted(data, key=lambda r: -float(r[iss] or 0))[:int(sys.argv[2]) if len(sys.argv) > 2 else 25]
for r in top:
    reasons = sorted(((float(r[i] or 0), hdr[i][6:]) for i in stall_cols), reverse=True)[:2]
    print("%5.1f%% %s %-60s %s" % (100*float(r[iss])/tot, r[ia], r[isrc][:60], " ".join("%s:%.0f" % (n, v) for v, n in reasons)))
