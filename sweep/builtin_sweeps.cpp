// The built-in named sweeps, compiled in so that `fa-bench --sweep NAME` works from any directory.
// Kernel lists name every family that fits the sweep; the CLI drops those not available on the
// machine. Point counts are checked by tests/cpu/test_sweep_file.cpp: update both together.
#include "sweep/sweep_file.hpp"

namespace fa {

namespace {

// The sweeps as one JSON document (the sweep-file format, docs/sweeps.md).
constexpr std::string_view kBuiltinSweeps = R"json({
  "sweeps": {
    "default": {
      "description": "Small GPU sweep: flash, flash3 (Hopper), standard, block_sparse and cuDNN at B2 H8, seqlen 512-2048, head dim 64/128, fp16, forward and backward",
      "kernel": "flash,flash3,standard,block_sparse,cudnn",
      "pass": "fwd,bwd",
      "batch": 2,
      "heads": 8,
      "seqlen": "512:2048:x2",
      "head-dim": [64, 128],
      "dtype": "fp16"
    },
    "cpu-default": {
      "description": "CPU reference sweep for machines without a GPU: B1 H2, seqlen 64-256, head dim 32/64, causal and not, forward and backward (milliseconds per point)",
      "kernel": "reference",
      "pass": "fwd,bwd",
      "batch": 1,
      "heads": 2,
      "seqlen": "64:256:x2",
      "head-dim": [32, 64],
      "causal": "both"
    },
    "fa2-benchmark": {
      "description": "FlashAttention-2 paper grid: 16k tokens, hidden 2048, seqlen 512-16k, head dim 64/128, causal and not, bf16, forward and forward+backward",
      "kernel": "standard,flash,flash3,cudnn",
      "pass": "fwd,fwdbwd",
      "tokens": 16384,
      "hidden": 2048,
      "seqlen": "512:16384:x2",
      "head-dim": [64, 128],
      "causal": "both",
      "dtype": "bf16"
    },
    "block-sparse": {
      "description": "Dense flash against block-sparse flash over every mask pattern at densities 0.1, 0.25, 0.5; B2 H8, seqlen 1k-8k, head dim 64, fp16, forward",
      "kernel": "flash,block_sparse",
      "pass": "fwd",
      "batch": 2,
      "heads": 8,
      "seqlen": "1024:8192:x2",
      "head-dim": 64,
      "dtype": "fp16",
      "sparsity": "dense,local,strided,random,butterfly",
      "density": [0.1, 0.25, 0.5]
    },
    "smoke": {
      "description": "Quick correctness pass over every available kernel: tiny shapes including a ragged length, causal and not, forward and backward",
      "pass": "fwd,bwd",
      "batch": 1,
      "heads": 2,
      "seqlen": [128, 200],
      "head-dim": 64,
      "causal": "both",
      "dtype": "fp16",
      "sparsity": "dense,local",
      "density": 0.5
    },
    "llm-shapes": {
      "description": "The shapes current LLMs run, Llama-3-8B style (32 query heads, head dim 128, hidden 4096), bf16, causal and not: grouped-query training shapes over 32 (MHA control), 8 (GQA) and 1 (MQA) K/V heads at 16k tokens, seqlen 2k-8k, and a packed varlen batch of 16 sequences of 1k-8k tokens, forward and forward+backward; decoding, batch 8, 1 and 4 query tokens against caches of 4k-128k over 8 K/V heads, forward",
      "kernel": "flash,flash3,standard,cudnn",
      "hidden": 4096,
      "head-dim": 128,
      "causal": "both",
      "dtype": "bf16",
      "parts": [
        {"pass": "fwd,fwdbwd", "kv-heads": [32, 8, 1], "varlen": ["off", "uniform:1024:8192"], "batch": 16,
         "tokens": 16384, "seqlen": "2048:8192:x2"},
        {"pass": "fwd", "kv-heads": 8, "batch": 8, "seqlen": [1, 4], "seqlen-kv": "4096:131072:x2"}
      ]
    },
    "llm-decode": {
      "description": "Decoding against a long K/V cache (memory-bound: read the Memory-bound rows' HBM GB/s): Llama-3-8B style 32 query heads over 8 K/V heads, head dim 128, batch 8, 1 and 4 query tokens (speculative), cache 4k-128k, bf16, causal and not, forward",
      "kernel": "flash,cudnn,standard",
      "pass": "fwd",
      "batch": 8,
      "heads": 32,
      "kv-heads": 8,
      "seqlen": [1, 4],
      "seqlen-kv": "4096:131072:x2",
      "head-dim": 128,
      "causal": "both",
      "dtype": "bf16"
    },
    "ci-gate": {
      "description": "Regression-gate sweep for GPU CI: millisecond-scale points (stable timings and byte counts), standard/flash/block_sparse, bf16, B4 H16, seqlen 1k-4k, head dim 64/128, forward and backward",
      "kernel": "standard,flash,block_sparse",
      "pass": "fwd,bwd",
      "batch": 4,
      "heads": 16,
      "seqlen": "1024:4096:x2",
      "head-dim": [64, 128],
      "dtype": "bf16"
    }
  }
})json";

}  // namespace

std::string_view builtin_sweeps() { return kBuiltinSweeps; }

}  // namespace fa
