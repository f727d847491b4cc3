#pragma once
// fp8 forward: the V tile, TMA-loaded row-major ([BN keys x D] e4m3, swizzled like K), rewritten as V^T
// ([D rows x BN keys], keys contiguous: the K-major B operand an 8-bit P V wgmma needs) by the producer
// warpgroup's spare warps. The keys of V^T are stored in the order P's register fragments use
// (fp8_key_of_slot, acc_to_a_fp8 in flash3_tile_ops.cuh), 128-byte swizzle, regions of 128 keys.
//
// As FlashAttention-3 does it: ldmatrix.trans (16-bit elements) gathers 2 keys x 2 head-dim bytes per lane,
// two byte permutes per pair of words turn them into 4 keys of one head-dim byte, stmatrix writes them as V^T
// rows: per lane and 16 bytes one 16-byte load, one 16-byte store and four PRMTs, without bank conflicts.
// The lane and step index math is in flash3_v_transpose_plan.hpp.
#include <cstdint>

#include "kernels/flash/ptx.cuh"
#include "kernels/flash3/flash3_v_transpose_plan.hpp"

namespace fa::flash3 {

// stmatrix: lanes 8 m .. 8 m + 7 address the 16-byte rows of matrix m; lane l's word m goes to row l / 4,
// bytes 4 (l % 4) .. + 3 of matrix m (the ldmatrix fragment layout, non-transposed). sm_90.
__device__ __forceinline__ void stmatrix_x4(std::uint32_t smem_addr, std::uint32_t w0, std::uint32_t w1,
                                            std::uint32_t w2, std::uint32_t w3) {
  asm volatile("stmatrix.sync.aligned.m8n8.x4.shared.b16 [%0], {%1, %2, %3, %4};\n" ::"r"(smem_addr), "r"(w0),
               "r"(w1), "r"(w2), "r"(w3)
               : "memory");
}

// This lane's index, read (volatile) where it is used: the lane constants below are then recomputed per tile
// instead of being held across the caller's loops, which the producer warps' few registers cannot afford.
__device__ __forceinline__ int lane_id() {
  int lane;
  asm volatile("mov.u32 %0, %%laneid;\n" : "=r"(lane));
  return lane;
}

// Thread `tid` of `threads` (whole warps) transposes its warp's pieces (VtPlan::piece_chunks units of 32 keys x 16
// head-dim bytes of one key group) of the raw stage at `raw` into the V^T stage at `vt`; both 1024-byte aligned.
// Within a piece a warp loads up to two units before it stores any, so loads are in flight together
// (Plan::units_in_flight), and the addresses are a base per piece plus a constant per unit.
template <class Tr>
__device__ __forceinline__ void transpose_v_tile(std::uint32_t raw, std::uint32_t vt, int tid, int threads) {
  using Plan = VtPlan<Tr::D, Tr::BN, Tr::kSwzBytes, Tr::kKVRegionBytes, Tr::kVtRegionBytes>;
  constexpr int kUnroll = Plan::units_in_flight(Tr::kProducerRegs[0]);  // causal or not: the same (Fwd3Traits)
  constexpr int kPiece = Plan::piece_chunks(Tr::kTransposers / 32);
  constexpr unsigned kPiecesPerGroup = Plan::kDChunks / kPiece, kPieces = Plan::kUnits / kPiece;
  static_assert(kPiece % kUnroll == 0, "whole passes per piece");
  const int lane = lane_id();  // == tid % 32
  const unsigned warp = tid / 32, warps = threads / 32;
  const std::uint32_t ld_lane = Plan::ld_lane_address(raw, lane), st_lane = Plan::st_lane_address(vt, lane);
  const std::uint32_t sel_a = Plan::sel_first(lane), sel_b = Plan::sel_second(lane);
#pragma unroll 1
  for (unsigned pc = warp; pc < kPieces; pc += warps) {  // warp-uniform: ldmatrix / stmatrix need the whole warp
    const unsigned g = pc / kPiecesPerGroup, j0 = pc % kPiecesPerGroup * kPiece;
    const std::uint32_t ld = Plan::piece_ld_base(ld_lane, g, j0), st = Plan::piece_st_base(st_lane, g, j0);
#pragma unroll
    for (int jj = 0; jj < kPiece; jj += kUnroll) {
      std::uint32_t w[kUnroll][4];
#pragma unroll
      for (int i = 0; i < kUnroll; ++i) fa::flash::ptx::ldmatrix_x4_trans(w[i], Plan::piece_ld(ld, jj + i));
#pragma unroll
      for (int i = 0; i < kUnroll; ++i)
        stmatrix_x4(Plan::piece_st(st, jj + i), __byte_perm(w[i][0], w[i][1], sel_a),
                    __byte_perm(w[i][0], w[i][1], sel_b), __byte_perm(w[i][2], w[i][3], sel_a),
                    __byte_perm(w[i][2], w[i][3], sel_b));
    }
  }
}

}  // namespace fa::flash3
