#!/usr/bin/env python3
"""Plots of an fa-bench results file (results.json or results.csv).

    python3 scripts/plot.py RESULTS [--out DIR] [--format png,svg] [--gemm-peak TFLOPS]

One set of figures per (head_dim, dtype, pass, causal) group of the ok rows:
  tflops_<group>   TFLOP/s against sequence length per kernel (log2 x axis), with the GEMM peak
                   as a labelled horizontal line when --gemm-peak is given;
  memory_<group>   peak memory against sequence length (log y): the device-wide peak where the
                   row has one, otherwise operands + kernel scratch peak (the legend says which);
  hbm_<group>      measured HBM bytes (read + write, hardware counters) and the IO-model
                   prediction per kernel (log y); only for groups with counter values.
<group> is "d<head_dim>-<dtype>-<pass>-<causal|noncausal>". Rows whose status is not ok are
skipped and listed on stderr. Written files are printed on stdout, one per line.

Exit codes: 0 figures written; 1 no ok row to plot; 2 bad input (file, schema, flag);
3 matplotlib missing (Debian: apt-get install python3-matplotlib). See docs/plots.md.
"""

import argparse
import csv
import io
import json
import math
import os
import sys
from collections import OrderedDict, defaultdict

RESULTS_SCHEMA = "fa-bench/results"
RESULTS_SCHEMA_VERSION = 1
FORMATS = ("png", "svg")

# Axes that may differ between rows of one group; those that do (for some kernel) split each kernel
# into several lines, labelled with them (e.g. "flash p0.1", "block_sparse local 0.25").
SERIES_AXES = ("batch", "heads", "kv_heads", "kv", "varlen", "dropout", "sparsity", "layout")


class InputError(Exception):
    """Unreadable or malformed input: exit code 2."""


# ---------------------------------------------------------------------------------------------
# Reading: JSON rows and CSV rows both become flat dicts with the same keys.


def number(value, where):
    """A JSON/CSV number: None for null or an empty cell; "nan"/"inf" strings as floats."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InputError(f"{where}: expected a number, got {value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise InputError(f"{where}: expected a number, got {value!r}") from None


def flag(value, where):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise InputError(f"{where}: expected true or false, got {value!r}")


def sparsity_text(pattern, density):
    if not pattern or pattern == "dense":
        return "dense"
    return f"{pattern} {density:g}" if density is not None else pattern


def json_row(row, where):
    if not isinstance(row, dict):
        raise InputError(f"{where}: expected an object")
    point = row.get("point") or {}
    prob = point.get("problem") or {}
    sp = prob.get("sparsity") or {}
    time = row.get("time") or {}
    seqlen_q = number(prob.get("seqlen_q"), where + ".point.problem.seqlen_q")
    seqlen_kv = number(prob.get("seqlen_kv"), where + ".point.problem.seqlen_kv")
    return {
        "kernel": point.get("kernel", "?"),
        "pass": point.get("pass", "fwd"),
        "batch": number(prob.get("batch"), where + ".point.problem.batch"),
        "heads": number(prob.get("heads"), where + ".point.problem.heads"),
        "kv_heads": kv_heads_of(number(prob.get("kv_heads"), where + ".point.problem.kv_heads"), prob.get("heads")),
        "varlen": prob.get("varlen") or "",  # a packed varlen batch: seqlen_q is its longest sequence
        "seqlen_q": seqlen_q,
        "seqlen_kv": seqlen_kv if seqlen_kv is not None else seqlen_q,
        "head_dim": number(prob.get("head_dim"), where + ".point.problem.head_dim"),
        "dtype": prob.get("dtype", "?"),
        "dropout": number(prob.get("dropout", 0.0), where + ".point.problem.dropout") or 0.0,
        "causal": flag(prob.get("causal", False), where + ".point.problem.causal"),
        "layout": prob.get("layout", "bhnd"),
        "sparsity": sparsity_text(sp.get("pattern"), number(sp.get("density"), where + ".sparsity.density")),
        "status": row.get("status", "ok"),
        "reason": row.get("reason", ""),
        "median_ms": number(time.get("median_ms"), where + ".time.median_ms"),
        "tflops": number(row.get("tflops"), where + ".tflops"),
        **{k: number(row.get(k), f"{where}.{k}") for k in MEASURE_KEYS},
    }


def kv_heads_of(kv_heads, heads):
    """K/V heads of a row; files from before the axis have none: as many as the query heads."""
    return kv_heads if kv_heads is not None else number(heads, "heads")


MEASURE_KEYS = ("mem_io_bytes", "mem_scratch_peak_bytes", "mem_device_peak_bytes", "hbm_read_bytes",
                "hbm_write_bytes", "io_model_bytes")
CSV_REQUIRED = ("kernel", "pass", "seqlen_q", "head_dim", "dtype", "causal", "status", "tflops")


def csv_row(rec, where):
    seqlen_q = number(rec.get("seqlen_q"), where + ".seqlen_q")
    seqlen_kv = number(rec.get("seqlen_kv"), where + ".seqlen_kv")
    return {
        "kernel": rec["kernel"],
        "pass": rec["pass"],
        "batch": number(rec.get("batch"), where + ".batch"),
        "heads": number(rec.get("heads"), where + ".heads"),
        "kv_heads": kv_heads_of(number(rec.get("kv_heads"), where + ".kv_heads"), rec.get("heads")),
        "varlen": rec.get("varlen") or "",
        "seqlen_q": seqlen_q,
        "seqlen_kv": seqlen_kv if seqlen_kv is not None else seqlen_q,
        "head_dim": number(rec.get("head_dim"), where + ".head_dim"),
        "dtype": rec["dtype"],
        "dropout": number(rec.get("dropout"), where + ".dropout") or 0.0,
        "causal": flag(rec["causal"], where + ".causal"),
        "layout": rec.get("layout") or "bhnd",
        "sparsity": sparsity_text(rec.get("sparsity"), number(rec.get("density"), where + ".density")),
        "status": rec["status"],
        "reason": rec.get("reason", ""),
        "median_ms": number(rec.get("median_ms"), where + ".median_ms"),
        "tflops": number(rec.get("tflops"), where + ".tflops"),
        **{k: number(rec.get(k), f"{where}.{k}") for k in MEASURE_KEYS},
    }


def read_results(path):
    """(rows, metadata) of a results.json or results.csv; InputError when it is neither."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        raise InputError(f"{path}: {e.strerror}") from None
    if path.endswith(".csv"):
        return read_csv_text(text, path), {}
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        if path.endswith(".json"):
            raise InputError(f"{path}: not valid JSON ({e})") from None
        return read_csv_text(text, path), {}
    if not isinstance(doc, dict) or doc.get("schema") != RESULTS_SCHEMA:
        raise InputError(f"{path}: not an fa-bench results file (schema {RESULTS_SCHEMA!r} expected)")
    if doc.get("schema_version") != RESULTS_SCHEMA_VERSION:
        raise InputError(f"{path}: schema_version {doc.get('schema_version')!r} is not supported "
                         f"(this script reads {RESULTS_SCHEMA_VERSION})")
    rows = doc.get("rows")
    if not isinstance(rows, list):
        raise InputError(f"{path}: 'rows' must be a list")
    return [json_row(r, f"{path}: rows[{i}]") for i, r in enumerate(rows)], doc.get("metadata") or {}


def read_csv_text(text, path):
    reader = csv.DictReader(io.StringIO(text, newline=""))  # quoted cells may hold line breaks
    missing = [c for c in CSV_REQUIRED if c not in (reader.fieldnames or [])]
    if missing:
        raise InputError(f"{path}: not an fa-bench results CSV (missing columns: {', '.join(missing)})")
    return [csv_row(rec, f"{path}: line {i + 2}") for i, rec in enumerate(reader)]


# ---------------------------------------------------------------------------------------------
# Grouping


def g(value):
    return "?" if value is None else f"{value:g}"


def label_of(r):
    """The row as fa-bench names points: flash/fwd/B2-H8-N1024-D64-fp16-causal."""
    s = f"{r['kernel']}/{r['pass']}/B{g(r['batch'])}-H{g(r['heads'])}"
    if r["kv_heads"] != r["heads"]:
        s += f"-KV{g(r['kv_heads'])}"
    if r["varlen"]:
        s += "-V" + r["varlen"]
    else:
        s += f"-N{g(r['seqlen_q'])}"
        if r["seqlen_kv"] != r["seqlen_q"]:
            s += f"x{g(r['seqlen_kv'])}"
    s += f"-D{g(r['head_dim'])}-{r['dtype']}"
    if r["causal"]:
        s += "-causal"
    if r["dropout"]:
        s += f"-p{r['dropout']:g}"
    if r["sparsity"] != "dense":
        s += "-" + r["sparsity"].replace(" ", "")
    return s


def group_key(r):
    return (int(r["head_dim"]), r["dtype"], r["pass"], bool(r["causal"]))


def group_name(key):
    head_dim, dtype, pss, causal = key
    return f"d{head_dim}-{dtype}-{pss}-{'causal' if causal else 'noncausal'}"


def group_title(key):
    head_dim, dtype, pss, causal = key
    return f"head dim {head_dim}, {dtype}, {pss}, {'causal' if causal else 'non-causal'}"


def axis_text(axis, value):
    return {
        "batch": lambda v: f"B{v:g}",
        "heads": lambda v: f"H{v:g}",
        "kv_heads": lambda v: f"KV{v:g}",
        "kv": lambda v: "Nk=Nq" if v == "same" else f"Nk{v:g}",
        "varlen": lambda v: f"varlen {v}" if v else "fixed",
        "dropout": lambda v: f"p{v:g}",
        "sparsity": str,
        "layout": str,
    }[axis](value)


def kv_relation(r):
    """Key length as a series attribute: "same" for self-attention, else the fixed length."""
    return "same" if r["seqlen_kv"] == r["seqlen_q"] else r["seqlen_kv"]


def splitting_axes(rows):
    """Axes that take several values among one kernel's rows. Batch does not split when batch x
    seqlen is constant: that is a --tokens sweep, where batch follows the sequence length."""
    axes = set()
    by_kernel = defaultdict(list)
    for r in rows:
        by_kernel[r["kernel"]].append(r)
    for krows in by_kernel.values():
        for axis in SERIES_AXES:
            if len({r[axis] for r in krows}) < 2:
                continue
            if axis == "batch" and len({r["batch"] * r["seqlen_q"] for r in krows}) == 1:
                continue
            axes.add(axis)
    return axes


def series_of(rows):
    """OrderedDict series label -> {seqlen_q: row}, in the order rows first name them."""
    rows = [dict(r, kv=kv_relation(r)) for r in rows]
    splitting = splitting_axes(rows)
    series = OrderedDict()
    for r in rows:
        # A block mask is always named: "block_sparse" alone would hide what was measured.
        parts = [r["kernel"]] + [axis_text(a, r[a]) for a in SERIES_AXES
                                 if a in splitting or (a == "sparsity" and r[a] != "dense")]
        # A repeated point (a resumed run, say) keeps its last row.
        series.setdefault(" ".join(parts), {})[r["seqlen_q"]] = r
    return series


# ---------------------------------------------------------------------------------------------
# Figures


def seqlen_tick_text(n):
    n = int(n)
    return f"{n // 1024}k" if n >= 1024 and n % 1024 == 0 else str(n)


def setup_seqlen_axis(ax, seqlens):
    ax.set_xscale("log", base=2)
    ticks = sorted(seqlens)
    ax.set_xticks(ticks)
    ax.set_xticklabels([seqlen_tick_text(n) for n in ticks])
    ax.minorticks_off()
    ax.set_xlabel("sequence length (query)")
    ax.grid(True, which="major", alpha=0.3)


def bytes_text(value):
    for unit, size in (("TiB", 2 ** 40), ("GiB", 2 ** 30), ("MiB", 2 ** 20), ("KiB", 2 ** 10)):
        if value >= size:
            return f"{value / size:g} {unit}"
    return f"{value:g} B"


def setup_bytes_axis(ax, ticker, values, label):
    """Log y axis with ticks at powers of two (64 MiB, 128 MiB, ...; every 2nd, 3rd... past ~10)."""
    ax.set_yscale("log", base=2)
    bottom, top = min(values) / 1.3, max(values) * 1.3  # points off the frame
    lo, hi = math.floor(math.log2(bottom)), math.ceil(math.log2(top))
    step = max(1, math.ceil((hi - lo) / 10))
    ax.yaxis.set_major_locator(ticker.FixedLocator([2.0 ** e for e in range(lo, hi + 1, step)]))
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _pos: bytes_text(v)))
    ax.yaxis.set_minor_locator(ticker.NullLocator())
    ax.set_ylim(bottom, top)
    ax.set_ylabel(label)


def memory_of(r):
    """(bytes, source) of a row's peak memory: the device-wide peak when measured, else
    operands + kernel scratch peak; (None, None) when the row has neither."""
    if r["mem_device_peak_bytes"] is not None and r["mem_device_peak_bytes"] > 0:
        return r["mem_device_peak_bytes"], "device peak"
    if r["mem_io_bytes"] is not None:
        return r["mem_io_bytes"] + (r["mem_scratch_peak_bytes"] or 0.0), "operands + scratch"
    return None, None


def measured_hbm(r):
    if r["hbm_read_bytes"] is None or r["hbm_write_bytes"] is None:
        return None
    return r["hbm_read_bytes"] + r["hbm_write_bytes"]


def positive(x):
    return x is not None and math.isfinite(x) and x > 0


class Figures:
    def __init__(self, plt, ticker, out_dir, formats, device):
        self.plt, self.ticker, self.out_dir, self.formats, self.device = plt, ticker, out_dir, formats, device
        self.written = []

    def save(self, fig, ax, stem, title):
        ax.set_title(title + (f"\n{self.device}" if self.device else ""), fontsize=10)
        handles, _ = ax.get_legend_handles_labels()
        if handles:
            ax.legend(fontsize=8)
        fig.tight_layout()
        for ext in self.formats:
            path = os.path.join(self.out_dir, f"{stem}.{ext}")
            fig.savefig(path, format=ext, dpi=120)
            self.written.append(path)
        self.plt.close(fig)

    def tflops(self, key, series, gemm_peak):
        fig, ax = self.plt.subplots(figsize=(7, 4.5))
        seqlens = set()
        for name, pts in series.items():
            xs = sorted(n for n, r in pts.items() if positive(r["tflops"]))
            if not xs:
                continue
            seqlens.update(xs)
            ax.plot(xs, [pts[n]["tflops"] for n in xs], marker="o", label=name)
        if not seqlens:
            self.plt.close(fig)
            return
        if gemm_peak:
            ax.axhline(gemm_peak, color="black", linestyle="--", linewidth=1,
                       label=f"GEMM peak {gemm_peak:g} TFLOP/s")
        setup_seqlen_axis(ax, seqlens)
        ax.set_ylabel("TFLOP/s")
        ax.set_ylim(bottom=0)
        self.save(fig, ax, f"tflops_{group_name(key)}", f"TFLOP/s: {group_title(key)}")

    def memory(self, key, series):
        fig, ax = self.plt.subplots(figsize=(7, 4.5))
        seqlens, all_y = set(), []
        for name, pts in series.items():
            xs, ys, sources = [], [], set()
            for n in sorted(pts):
                value, source = memory_of(pts[n])
                if positive(value):
                    xs.append(n)
                    ys.append(value)
                    sources.add(source)
            if not xs:
                continue
            seqlens.update(xs)
            all_y.extend(ys)
            ax.plot(xs, ys, marker="o", label=f"{name} ({' / '.join(sorted(sources))})")
        if not seqlens:
            self.plt.close(fig)
            return
        setup_seqlen_axis(ax, seqlens)
        setup_bytes_axis(ax, self.ticker, all_y, "peak memory")
        self.save(fig, ax, f"memory_{group_name(key)}", f"Peak memory: {group_title(key)}")

    def hbm(self, key, series):
        if not any(positive(measured_hbm(r)) for pts in series.values() for r in pts.values()):
            return
        fig, ax = self.plt.subplots(figsize=(7, 4.5))
        seqlens, all_y = set(), []
        colors = self.plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for i, (name, pts) in enumerate(series.items()):
            color = colors[i % len(colors)]  # measured and model of one kernel share a colour
            xs = sorted(n for n, r in pts.items() if positive(measured_hbm(r)))
            if xs:
                ys = [measured_hbm(pts[n]) for n in xs]
                ax.plot(xs, ys, marker="o", color=color, label=f"{name} measured")
                all_y.extend(ys)
            xm = sorted(n for n, r in pts.items() if positive(r["io_model_bytes"]))
            if xm:
                ym = [pts[n]["io_model_bytes"] for n in xm]
                ax.plot(xm, ym, marker="x", linestyle="--", color=color, label=f"{name} IO model")
                all_y.extend(ym)
            seqlens.update(xs + xm)
        setup_seqlen_axis(ax, seqlens)
        setup_bytes_axis(ax, self.ticker, all_y, "HBM bytes (read + write)")
        self.save(fig, ax, f"hbm_{group_name(key)}", f"HBM traffic, measured vs IO model: {group_title(key)}")


# ---------------------------------------------------------------------------------------------


def parse_args(argv):
    p = argparse.ArgumentParser(prog="plot.py", description=__doc__.split("\n\n")[0])
    p.add_argument("results", help="results.json or results.csv written by fa-bench run")
    p.add_argument("--out", help="output folder (default: plots/ next to RESULTS)")
    p.add_argument("--format", default="png,svg", help="comma-separated: png, svg (default png,svg)")
    p.add_argument("--gemm-peak", type=float, metavar="TFLOPS",
                   help="draw the dense GEMM peak (TFLOP/s) as a horizontal line, e.g. 779 (H100 SXM bf16)")
    args = p.parse_args(argv)
    formats = [f.strip().lower() for f in args.format.split(",") if f.strip()]
    bad = [f for f in formats if f not in FORMATS]
    if not formats or bad:
        p.error(f"--format: {','.join(bad) or repr(args.format)} is not valid (accepted: {', '.join(FORMATS)})")
    args.format = list(OrderedDict.fromkeys(formats))
    if args.gemm_peak is not None and not (math.isfinite(args.gemm_peak) and args.gemm_peak > 0):
        p.error("--gemm-peak: must be a positive number of TFLOP/s")
    return args


def main(argv):
    args = parse_args(argv)
    try:
        rows, metadata = read_results(args.results)
    except InputError as e:
        print(f"plot.py: {e}", file=sys.stderr)
        return 2
    try:
        import matplotlib
        matplotlib.use("Agg")  # files only: no display needed
        matplotlib.rcParams["svg.fonttype"] = "none"  # SVG text stays text: searchable, editable
        import matplotlib.pyplot as plt
        import matplotlib.ticker as ticker
    except ImportError:
        print("plot.py: needs matplotlib (Debian/Ubuntu: apt-get install python3-matplotlib)", file=sys.stderr)
        return 3

    ok = [r for r in rows if r["status"] == "ok"]
    skipped = [r for r in rows if r["status"] != "ok"]
    if skipped:
        print(f"plot.py: skipped {len(skipped)} row(s) that are not ok:", file=sys.stderr)
        for r in skipped:
            reason = " / ".join((r["reason"] or "").splitlines())
            print(f"  {label_of(r)}: {r['status']}{': ' + reason if reason else ''}", file=sys.stderr)
    ok = [r for r in ok if r["seqlen_q"] is not None and r["head_dim"] is not None]
    if not ok:
        print("plot.py: no ok rows to plot", file=sys.stderr)
        return 1

    out_dir = args.out or os.path.join(os.path.dirname(os.path.abspath(args.results)), "plots")
    os.makedirs(out_dir, exist_ok=True)
    groups = OrderedDict()
    for r in ok:
        groups.setdefault(group_key(r), []).append(r)
    figures = Figures(plt, ticker, out_dir, args.format, metadata.get("device", ""))
    for key, group_rows in groups.items():
        series = series_of(group_rows)
        figures.tflops(key, series, args.gemm_peak)
        figures.memory(key, series)
        figures.hbm(key, series)
    for path in figures.written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
