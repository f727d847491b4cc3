#pragma once
// Tile shapes and shared-memory plan of the flash3 backward kernel, one trait struct per head dim.
//
// A CTA owns BN = 128 keys of one (batch, head): K and V are loaded once. Warpgroup 0 is the producer (one
// thread streams Q, dO, lse2 and dPsum of each block of BM = 64 query rows through kStages stages); the two
// consumer warpgroups each own 64 of the 128 keys, i.e. 64 rows of dK and dV, kept in registers:
// 2 x D / 2 floats per thread, plus S^T and dP^T (32 floats each) and the dQ slice. That is why one
// warpgroup holds 64 keys and a query block is 64 rows: at D = 128 this is ~200 of the 240 registers
// setmaxnreg gives a consumer.
//
// dQ = dS K is split by columns: warpgroup c computes columns [kDqCol0(c), + kDqCols(c)) of the 64-row
// block over all 128 keys (dS^T of both warpgroups goes through shared memory). Its fp32 result is staged,
// swizzled, in the warpgroup's own buffer of 32-column regions and added into the fp32 accumulator in
// global memory by one TMA reduce-add per region, issued by a warp of the producer warpgroup (the dQ
// writer), so the consumers hand the buffer over with an mbarrier arrive instead of waiting at barriers. The split follows the swizzle regions of K so that the
// B operand of every dQ wgmma starts on a region boundary: D = 64: 32 + 32 (from a copy of K in 32-column
// regions), D = 96: 64 + 32 (regions of 32), D = 128: 64 + 64.
//
// Every 16-bit tile is stored the way TMA writes it with the 128-byte swizzle (64 elements per row;
// D = 96 uses the 64-byte swizzle, 32 per row): a [rows x D] tile is D / kSwz regions of [rows x kSwz],
// each 1024-byte aligned (flash3_fwd_traits.cuh says the same of the forward).
#include <cstdint>

#include "kernels/flash3/flash3_bwd_dropout.hpp"
#include "kernels/flash3/flash3_tiles.hpp"

namespace fa::flash3 {

template <int D_, int Stages_>
struct Bwd3Traits {
  static constexpr int D = D_;
  static constexpr int BM = bwd3_tile(D_).bm;  // query rows per step
  static constexpr int BN = bwd3_tile(D_).bn;  // keys per CTA
  static constexpr int kStages = Stages_;
  static constexpr int kConsumerWGs = 2;
  static constexpr int kThreads = 128 * (kConsumerWGs + 1);
  static constexpr int kLaunchRegs = (65536 / kThreads) / 8 * 8;
  static constexpr int kProducerRegs = 24;
  static constexpr int kConsumerRegs = 240;
  static_assert(128 * kProducerRegs + 128 * kConsumerWGs * kConsumerRegs <= kThreads * kLaunchRegs,
                "setmaxnreg budgets exceed the registers the CTA is launched with");

  static constexpr int kSwz = swizzle_cols(D);  // elements per swizzled row
  static constexpr int kSwzBytes = kSwz * 2;
  static constexpr std::uint32_t kSwzMode = kSwz == 64 ? 1 : 2;  // descriptor code: 128-byte / 64-byte swizzle
  static constexpr int kRegions = D / kSwz;
  static constexpr int kQRegionBytes = BM * kSwzBytes;  // Q and dO
  static constexpr int kKVRegionBytes = BN * kSwzBytes;
  static constexpr int kQBytes = kQRegionBytes * kRegions;
  static constexpr int kKVBytes = kKVRegionBytes * kRegions;
  static constexpr int kRowBytes = BM * 4;  // lse2 or dPsum of one query block

  // dS^T: [BN keys x BM queries], 16-bit, one 128-byte swizzled region (BM = 64 elements per row). A step's
  // dQ GEMM reads the previous step's dS^T (the kernel says why), so a buffer is written while the one
  // before it is read and the one before that may still be in use by the other, later warpgroup: three.
  static constexpr int kDsBufs = 3;
  static constexpr int kDsBytes = BN * BM * 2;
  static constexpr std::uint32_t kDsSwzMode = 1;

  // dQ columns of consumer warpgroup c and its fp32 staging buffer (regions of 32 columns x BM rows).
  static constexpr int kDqCols0 = D == 96 ? 64 : D / 2;
  static constexpr int kDqCols1 = D - kDqCols0;
  // The K tile dQ's GEMM reads: K itself, or (D = 64, flash3_tiles.hpp says why) a copy in 32-column regions.
  static constexpr int kDqSwz = bwd3_dq_swizzle_cols(D);
  static constexpr bool kDqOwnK = kDqSwz != kSwz;
  static constexpr std::uint32_t kDqSwzMode = kDqSwz == 64 ? 1 : 2;
  static constexpr int kDqKRegionBytes = BN * kDqSwz * 2;
  static constexpr int kDqKBytes = kDqOwnK ? kKVBytes : 0;
  static constexpr int kDqRegionBytes = BM * 128;
  static constexpr int kDqBytes0 = kDqCols0 / 32 * kDqRegionBytes;
  static constexpr int kDqBytes1 = kDqCols1 / 32 * kDqRegionBytes;

  // Shared memory, from a 1024-byte aligned base:
  // K | V | K for dQ (D = 64) | Q stages | dO stages | dS^T x 2 | dQ staging WG0 | WG1 | lse2 stages |
  // dPsum stages | dropout masks | mbarriers.
  static constexpr int kOffK = 0;
  static constexpr int kOffV = kOffK + kKVBytes;
  static constexpr int kOffKdq = kOffV + kKVBytes;
  static constexpr int kOffQ = kOffKdq + kDqKBytes;
  static constexpr int kOffDO = kOffQ + kStages * kQBytes;
  static constexpr int kOffDs = kOffDO + kStages * kQBytes;
  static constexpr int kOffDq0 = kOffDs + kDsBufs * kDsBytes;
  static constexpr int kOffDq1 = kOffDq0 + kDqBytes0;
  static constexpr int kOffLse = kOffDq1 + kDqBytes1;
  static constexpr int kOffDpsum = kOffLse + kStages * kRowBytes;
  // Dropout keep flags of a warpgroup's 64 x 64 (keys x queries) tile: one 16-bit mask per Philox call
  // (flash3_bwd_dropout.hpp), two buffers per warpgroup (this step's, the next step's).
  static constexpr int kMaskBytes = kBwdMaskCalls * 2;
  static constexpr int kOffMask = kOffDpsum + kStages * kRowBytes;
  static constexpr int kOffBars = kOffMask + 2 * kConsumerWGs * kMaskBytes;
  // K full; Q, dO full and empty per stage; V full; dQ staging full and empty per consumer warpgroup; dS^T
  // full and empty per buffer.
  static constexpr int kBars = 2 + 4 * kStages + 2 * kConsumerWGs + 2 * kDsBufs;
  static constexpr int kSmemBytes = kOffBars + kBars * 8 + 1024;  // + slack to align the base

  static_assert(BM == 64 && BN == 64 * kConsumerWGs, "one 64-key slice per consumer warpgroup, 64-row query blocks");
  static_assert(D % kSwz == 0 && D % 16 == 0 && D <= 128, "head dim: whole swizzled regions, k16 steps");
  static_assert(kDqCols0 % kDqSwz == 0 && kDqCols1 % kDqSwz == 0 && kDqCols0 % 32 == 0 && kDqCols1 % 32 == 0,
                "dQ slices: whole swizzle regions of K's dQ view, whole 32-column fp32 staging regions");
  static_assert(kQRegionBytes % 1024 == 0 && kKVRegionBytes % 1024 == 0 && kDsBytes % 1024 == 0 &&
                    kDqRegionBytes % 1024 == 0,
                "tiles stay 1024-byte aligned");
  static_assert(kSmemBytes <= 227 * 1024, "shared memory per block on sm_90");
};

// Stages of Q and dO: a step is shorter at smaller head dims, so more of them hide the load latency; at
// D = 128 only two fit in shared memory.
template <int D>
struct Bwd3TraitsFor : Bwd3Traits<D, D <= 96 ? 3 : 2> {};

}  // namespace fa::flash3
