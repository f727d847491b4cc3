#!/usr/bin/env python3
"""PyTorch's cuDNN SDPA backend timed on the points fa-bench's cudnn family is compared with.

The yardstick for kernels/cudnn: fa-bench's cudnn forward should be within 5% of this on the same GPU
(docs/perf/cudnn-notes.md). Timing is triton.testing.do_bench's median (it clears the L2 cache before
each repetition, like fa-bench's default cold timing). FLOPs as fa-bench counts them:
4*B*H*N^2*D per forward (half with a causal mask), 3.5x that for forward + backward.

--protocol fa-bench times instead as fa-bench's cold sampler does (measure/sampler.cpp): per sample an L2
flush, events around one call, a synchronize; a short warm-up and few samples. --protocol fa-bench-graph
does the same with the call captured in a CUDA graph, so PyTorch's per-call host work (measured on an
H200: 0.1-0.2 ms for this call, longer than the flush it hides behind in fa-bench) is not timed; that is
the like-for-like number for fa-bench's cudnn family, whose host work is a variant pack and one
cudnnBackendExecute. --kernels lists the kernels of each call with their CUPTI durations.

Usage (on the GPU machine, where python3 has PyTorch and Triton):
  python3 docs/perf/scripts/torch_sdpa_reference.py [--tokens 16384] [--hidden 2048] [--seqlen 8192]
                                          [--protocol do_bench|fa-bench|fa-bench-graph] [--kernels]
"""
import argparse
import statistics

import torch
import torch.nn.functional as F
import triton.testing
from torch.nn.attention import SDPBackend, sdpa_kernel


def time_like_fa_bench(fn, samples=20, warmup=3):
    """Median ms as fa-bench's cold sampler: flush L2 (twice its size), events around one call, sync."""
    flush = torch.empty(2 * torch.cuda.get_device_properties(0).L2_cache_size, dtype=torch.int8, device="cuda")
    start, stop = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(samples):
        flush.zero_()
        start.record()
        fn()
        stop.record()
        stop.synchronize()
        times.append(start.elapsed_time(stop))
    return statistics.median(times)


def kernel_names(fn, calls=3):
    """GPU kernels one call launches, with their mean duration (torch.profiler, i.e. CUPTI's kernel
    timestamps: no launch gaps), to compare engines. Returns (text, total kernel ms per call)."""
    from torch.profiler import ProfilerActivity, profile
    with profile(activities=[ProfilerActivity.CUDA]) as prof:
        for _ in range(calls):
            fn()
        torch.cuda.synchronize()
    rows, total = [], 0.0
    for e in prof.key_averages():
        if e.device_type.name == "CUDA" and e.count:
            rows.append(f"{e.key[:110]} x{e.count // calls} {e.device_time / 1000:.3f} ms")
            total += e.device_time * e.count / calls / 1000
    return "; ".join(rows), total


def as_cuda_graph(fn):
    """One call captured in a CUDA graph: replaying it launches the same kernels without PyTorch's
    per-call host work (dispatch, cuDNN graph-cache lookup), which otherwise can sit between a start
    event and the kernel while the GPU waits."""
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            fn()
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        fn()
    return graph.replay


def time_point(b, h, n, d, causal, mode, protocol, show_kernels=False):
    """Median ms of one pass; mode: fwd (inference: no logsumexp), fwd_lse (training forward, writes the
    logsumexp as fa-bench's forward does), fwdbwd (forward then backward)."""
    gen = torch.Generator(device="cuda").manual_seed(42)
    grad = mode != "fwd"
    q, k, v = (torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16, generator=gen).requires_grad_(grad)
               for _ in range(3))
    dout = torch.randn(b, h, n, d, device="cuda", dtype=torch.bfloat16, generator=gen)

    def fwd():
        return F.scaled_dot_product_attention(q, k, v, is_causal=causal)

    def fwdbwd():
        fwd().backward(dout)

    fn = fwdbwd if mode == "fwdbwd" else fwd
    with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
        fn()  # fails here, not inside do_bench, if the cuDNN backend cannot take the point
        torch.cuda.synchronize()
        if show_kernels:
            text, kernel_ms = kernel_names(fn)
            print(f"  kernels ({mode}, causal={causal}, D={d}): {text}", flush=True)
        if protocol == "fa-bench-graph":
            return time_like_fa_bench(as_cuda_graph(fn))
        if protocol == "fa-bench":
            return time_like_fa_bench(fn)
        return triton.testing.do_bench(fn, warmup=50, rep=300, return_mode="median")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tokens", type=int, default=16384)
    ap.add_argument("--hidden", type=int, default=2048)
    ap.add_argument("--seqlen", type=int, default=8192)
    ap.add_argument("--head-dims", default="64,128")
    ap.add_argument("--protocol", choices=("do_bench", "fa-bench", "fa-bench-graph"), default="do_bench")
    ap.add_argument("--modes", default="fwd,fwd_lse,fwdbwd")
    ap.add_argument("--kernels", action="store_true", help="also print the GPU kernels each point launches")
    args = ap.parse_args()

    print(f"torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, {torch.cuda.get_device_name()}, "
          f"timing: {args.protocol}")
    print("| point | mode | ms | TFLOP/s |")
    print("|---|---|---|---|")
    n = args.seqlen
    b = args.tokens // n
    for d in (int(x) for x in args.head_dims.split(",")):
        h = args.hidden // d
        for causal in (False, True):
            for mode in args.modes.split(","):
                flops = 4.0 * b * h * n * n * d * (0.5 if causal else 1.0) * (3.5 if mode == "fwdbwd" else 1.0)
                ms = time_point(b, h, n, d, causal, mode, args.protocol, args.kernels)
                label = f"B{b}-H{h}-N{n}-D{d}-bf16" + ("-causal" if causal else "")
                print(f"| {label} | {mode} | {ms:.3f} | {flops / (ms * 1e-3) / 1e12:.0f} |", flush=True)


if __name__ == "__main__":
    main()
