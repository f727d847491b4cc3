#pragma once
// Variable-length (packed) batches in the flash kernels (FlashParams::cu_seqlens): where sequence b's
// rows start in the packed [tokens, H, D] tensors and how long it is. Without cu_seqlens every
// sequence starts at row 0 of its batch entry (the batch stride does the rest) and has the
// problem's lengths, so the same code serves both.
#include <cstdint>

#include "kernels/flash/flash_params.hpp"

namespace fa::flash {

struct SeqRange {
  std::int64_t row0;  // first token row of the sequence (0 without varlen)
  int nq, nk;         // its query and key lengths (equal with varlen: self-attention per sequence)
};

__device__ __forceinline__ SeqRange seq_range(const FlashParams& p, int b) {
  if (p.cu_seqlens == nullptr) return {0, p.seqlen_q, p.seqlen_kv};
  const int start = __ldg(p.cu_seqlens + b);
  const int n = __ldg(p.cu_seqlens + b + 1) - start;
  return {start, n, n};
}

// One offset through volatile asm: the compiler can neither hoist nor merge it with an earlier load,
// so what is derived from it is not held in registers through a long loop (the kernels sit at the
// 255-register cap); a cached load costs less than a spill.
__device__ __forceinline__ int cu_seqlen_volatile(const std::int32_t* at) {
  int v;
  asm volatile("ld.global.nc.s32 %0, [%1];\n" : "=r"(v) : "l"(at));
  return v;
}

// The first token row alone, re-read where it is needed after a long loop.
__device__ __forceinline__ std::int64_t seq_row0(const FlashParams& p, int b) {
  return p.cu_seqlens == nullptr ? 0 : cu_seqlen_volatile(p.cu_seqlens + b);
}

// The query length alone, likewise.
__device__ __forceinline__ int seq_len_q(const FlashParams& p, int b) {
  return p.cu_seqlens == nullptr ? p.seqlen_q : cu_seqlen_volatile(p.cu_seqlens + b + 1) - cu_seqlen_volatile(p.cu_seqlens + b);
}

}  // namespace fa::flash
