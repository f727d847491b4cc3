#pragma once
// The two wgmma patterns both flash3 kernels are built from, on tiles in the swizzled layout of
// flash3_tile_ops.cuh (regions of kSwz columns, 8-row groups). Each is one batch of k16 wgmmas; the caller
// fences, commits and waits.
#include <cstdint>

#include "kernels/flash3/hopper_ptx.cuh"
#include "kernels/flash3/wgmma_ops.cuh"

namespace fa::flash3 {

// How a batch gets the descriptor of each k step. kAdvance: the first step's descriptor plus the step's offset
// (ptx::smem_desc_advance, one add); kRebuild: each step's from its address (mask, shift, merge). The backward
// advances: with its warpgroup index broadcast (flash3_bwd_kernel.cuh) the adds stay on the uniform datapath, and
// its main loop went from 933 to 658 instructions per step at D 128 (745 -> 545 at D 64), fwd+bwd -8 to -16 % time
// on an H200 (docs/perf/2026-12-01-session17.md). The forward rebuilds: it already keeps that math mostly uniform,
// and advancing measured even to -1.3 % at 16-bit D 64-256 but +4.2 % at fp8 D 128 causal.
enum class DescSteps { kAdvance, kRebuild };

// The descriptor of k step `off_bytes` past the batch's first operand at `base` (descriptor `desc0`).
template <DescSteps kSteps>
__device__ __forceinline__ std::uint64_t step_desc(std::uint64_t desc0, std::uint32_t base, std::uint32_t off_bytes,
                                                   std::uint32_t lbo, std::uint32_t sbo, std::uint32_t mode) {
  if constexpr (kSteps == DescSteps::kAdvance) {
    return ptx::smem_desc_advance(desc0, off_bytes);
  } else {
    return ptx::smem_desc(base + off_bytes, lbo, sbo, mode);
  }
}

// Descriptor code of the swizzle of kSwz-element (16-bit) rows: 128-byte or 64-byte.
template <int kSwz>
constexpr std::uint32_t swizzle_mode() {
  return kSwz == 64 ? 1u : 2u;
}

// acc[64 x N] (=) A B^T with both operands K-major in shared memory: A = 64 rows at a_base, B = N rows at
// b_base, k = kDepth contiguous elements per row (the head dim), regions `*_region_bytes` apart. kSwz counts
// elements of T per swizzled row; a wgmma step is 32 bytes of k (k16 for 16-bit types, k32 for e4m3).
// kFresh: the first step is the "fresh" form (wgmma_ss_fresh), so acc's old values are dead to the compiler.
template <int N, class T, int kDepth, int kSwz, DescSteps kSteps, bool kFresh = false>
__device__ __forceinline__ void gemm_ss_kmajor(float (&acc)[N / 2], std::uint32_t a_base, int a_region_bytes,
                                               std::uint32_t b_base, int b_region_bytes) {
  constexpr int kEB = static_cast<int>(sizeof(T)), kStep = 32 / kEB, kSwzBytes = kSwz * kEB;
  constexpr std::uint32_t kSbo = 8 * kSwzBytes;  // 8-row groups
  constexpr std::uint32_t kMode = kSwzBytes == 128 ? 1u : 2u;
  const std::uint64_t da0 = ptx::smem_desc(a_base, 16, kSbo, kMode), db0 = ptx::smem_desc(b_base, 16, kSbo, kMode);
#pragma unroll
  for (int kk = 0; kk < kDepth / kStep; ++kk) {
    const int region = kk * kStep / kSwz, within = (kk * kStep % kSwz) * kEB;
    const std::uint64_t da = step_desc<kSteps>(da0, a_base, region * a_region_bytes + within, 16, kSbo, kMode);
    const std::uint64_t db = step_desc<kSteps>(db0, b_base, region * b_region_bytes + within, 16, kSbo, kMode);
    if constexpr (kFresh) {
      if (kk == 0) wgmma::wgmma_ss_fresh<N, T>(acc, da, db);
      else wgmma::wgmma_ss<N, T, 0, 0>(acc, da, db, 1);
    } else {
      wgmma::wgmma_ss<N, T, 0, 0>(acc, da, db, kk > 0 ? 1 : 0);
    }
  }
}

// acc[64 x N] += A B^T, e4m3: A from registers (kDepth / 32 k32 fragments), B = N rows at b_base, K-major with
// kDepth bytes of k per row in regions of 128 (128-byte swizzle) `b_region_bytes` apart: the V^T tile.
template <int N, int kDepth>
__device__ __forceinline__ void gemm_rs_kmajor_e4m3(float (&acc)[N / 2], const std::uint32_t (&a)[kDepth / 32][4],
                                                    std::uint32_t b_base, int b_region_bytes) {
#pragma unroll
  for (int kk = 0; kk < kDepth / 32; ++kk) {
    const int region = kk * 32 / 128, within = kk * 32 % 128;
    const std::uint64_t db = ptx::smem_desc(b_base + region * b_region_bytes + within, 16, 8 * 128, 1u);
    wgmma::wgmma_rs<N, __nv_fp8_e4m3>(acc, a[kk], db, 1);
  }
}

// acc[64 x N] += A B with A from registers (kDepth / 16 fragments) and B a [kDepth x N] row-major tile at
// b_base: MN-major for this product. Regions of kSwz columns are LBO = b_region_bytes apart, 8-row groups
// SBO apart; a k16 step is 16 rows.
template <int N, class T, int kDepth, int kSwz, DescSteps kSteps>
__device__ __forceinline__ void gemm_rs_mnmajor(float (&acc)[N / 2], const std::uint32_t (&a)[kDepth / 16][4],
                                                std::uint32_t b_base, int b_region_bytes) {
  constexpr int kRowBytes = kSwz * 2;
  const std::uint64_t db0 = ptx::smem_desc(b_base, b_region_bytes, 8 * kRowBytes, swizzle_mode<kSwz>());
#pragma unroll
  for (int kk = 0; kk < kDepth / 16; ++kk) {
    const std::uint64_t db =
        step_desc<kSteps>(db0, b_base, kk * 16 * kRowBytes, b_region_bytes, 8 * kRowBytes, swizzle_mode<kSwz>());
    wgmma::wgmma_rs<N, T, 1>(acc, a[kk], db, 1);
  }
}

}  // namespace fa::flash3
