#!/usr/bin/env python3
"""Instruction counts of each kernel's main loop in a `cuobjdump -sass` listing.

Usage: cuobjdump -sass -arch sm_90a build/kernels/CMakeFiles/fa_kernels.dir/flash/flash_fwd_d64.cu.o > fwd.sass
       scripts/sass_loop_count.py fwd.sass [--filter SUBSTRING]

The main loop of a kernel is taken to be the backward branch (a BRA to a lower address) whose body
holds the most tensor-core instructions (HMMA / HGMMA); kernels without them are counted whole.
The loops are fully unrolled inside, so the static count of the body is what one iteration issues:
the difference between a kernel's dropout and no-dropout instances, divided by the elements a
thread holds per iteration, is the dropout cost per element (docs/perf/flash-fwd-notes.md)."""
import argparse
import collections
import re

OPCODES = ['HMMA', 'HGMMA', 'IMAD.WIDE.U32', 'LOP3.LUT', 'PRMT', 'SHFL', 'ISETP', 'FSEL', 'SEL', 'LDL', 'STL']


def functions(text):
    name, body = None, []
    for line in text.splitlines():
        m = re.search(r'Function : (\S+)', line)
        if m:
            if name:
                yield name, body
            name, body = m.group(1), []
            continue
        m = re.match(r'\s+/\*([0-9a-f]{4,})\*/\s+(.*?);', line)
        if m and name:
            body.append((int(m.group(1), 16), m.group(2).strip()))
    if name:
        yield name, body


def opcode(ins):
    return re.sub(r'^@!?U?P[T0-9]+\s+', '', ins).split()[0]


def is_mma(ins):
    return opcode(ins).startswith(('HMMA', 'HGMMA'))


def main_loop(body):
    best = None
    for addr, ins in body:
        m = re.search(r'\bBRA\b.*?(0x[0-9a-f]+)', ins)
        if not m or int(m.group(1), 16) >= addr:
            continue
        start = int(m.group(1), 16)
        inside = [i for a, i in body if start <= a <= addr]
        mma = sum(1 for i in inside if is_mma(i))
        if mma and (best is None or mma > best[0]):
            best = (mma, inside)
    return best[1] if best else [i for _, i in body]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('listing')
    ap.add_argument('--filter', default='', help='only kernels whose mangled name contains this')
    args = ap.parse_args()
    with open(args.listing) as f:
        text = f.read()
    for name, body in functions(text):
        if args.filter not in name:
            continue
        loop = main_loop(body)
        counts = collections.Counter(opcode(i) for i in loop)
        per_op = ' '.join(f'{k}={sum(v for op, v in counts.items() if op == k or op.startswith(k + "."))}'
                          for k in OPCODES)
        print(f'{name}\n    total={len(body)} loop={len(loop)} {per_op}')


if __name__ == '__main__':
    main()
