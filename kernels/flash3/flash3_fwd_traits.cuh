#pragma once
// Tile shapes and shared-memory plan of the flash3 forward kernel, one trait struct per head dim, apart
// from the kernel body and the launch code.
//
// A CTA computes BM = 64 x (consumer warpgroups) query rows of one (batch, head): warpgroup 0 is the
// producer (one thread issues every TMA load), the others each own 64 query rows and compute. K and V
// stream through `kStages` shared-memory stages of BN keys each. Every tile is stored the way TMA writes it with the 128-byte
// swizzle (64 elements per row; D = 96 uses the 64-byte swizzle, 32 elements per row): a [rows x D] tile
// is D / kSwz "regions" of [rows x kSwz], each region 1024-byte aligned, which is also the canonical
// layout that wgmma's shared-memory descriptors read (K-major for Q and K, MN-major for V).
//
// Why these shapes: the consumers' registers hold O (D/2 floats per thread), S (BN/2 floats) and P of the
// previous block (BN/4 words); with setmaxnreg giving a consumer 232 registers, BN = 128 fits up to
// D = 128, and D = 256 takes BN = 64. At D = 64 the softmax costs as much as the two GEMMs (as many
// exponentials per FLOP as twice D = 128), so three consumer warpgroups (192 rows, 160 registers each) take
// turns: on an H200 this ran 1.01x cuDNN at N = 8192 against 0.87x with two (docs/perf/2026-11-30-flash3.md). Ping-pong (one warpgroup's softmax under the other's GEMMs) pays
// where the softmax is a large share of the time, i.e. D <= 128.
#include <cstdint>

#include "kernels/flash3/flash3_tiles.hpp"

namespace fa::flash3 {

template <int D_, int BN_, int Stages_, int ConsumerWGs_, bool PingPong_>
struct Fwd3Traits {
  static constexpr int D = D_;
  static constexpr int kConsumerWGs = ConsumerWGs_;
  static constexpr int BM = 64 * kConsumerWGs;  // query rows per CTA: 64 per consumer warpgroup
  static constexpr int BN = BN_;
  static constexpr int kStages = Stages_;
  static constexpr bool kPingPong = PingPong_;
  static constexpr int kThreads = 128 * (kConsumerWGs + 1);
  // setmaxnreg budgets. The CTA gets (65536 / threads, rounded down to 8) registers per thread at launch
  // and can only move them between warpgroups: a consumer's increase waits until the producer's decrease
  // frees enough, so the two must fit the launch allocation exactly or the kernel hangs at the start.
  static constexpr int kLaunchRegs = (65536 / kThreads) / 8 * 8;
  static constexpr int kProducerRegs = kConsumerWGs == 2 ? 40 : 32;
  static constexpr int kConsumerRegs = kConsumerWGs == 2 ? 232 : 160;
  static_assert(128 * kProducerRegs + 128 * kConsumerWGs * kConsumerRegs <= kThreads * kLaunchRegs,
                "setmaxnreg budgets exceed the registers the CTA is launched with");

  static constexpr int kSwz = (D % 64 == 0) ? 64 : 32;  // elements per swizzled row
  static constexpr int kSwzBytes = kSwz * 2;
  static constexpr std::uint32_t kSwzMode = kSwz == 64 ? 1 : 2;  // descriptor code: 128-byte / 64-byte swizzle
  static constexpr int kRegions = D / kSwz;
  static constexpr int kQRegionBytes = BM * kSwzBytes;
  static constexpr int kKVRegionBytes = BN * kSwzBytes;
  static constexpr int kQBytes = kQRegionBytes * kRegions;
  static constexpr int kKVBytes = kKVRegionBytes * kRegions;

  // Shared memory, from a 1024-byte aligned base: Q | K stages | V stages | O | tile slots + mbarriers.
  // O gets its own buffer where it fits: then Q is released as soon as a tile's last S GEMM is done and
  // the next tile's Q loads under this tile's epilogue. Otherwise (D = 256) O is staged in Q's place.
  static constexpr int kOffQ = 0;
  static constexpr int kOffK = kOffQ + kQBytes;
  static constexpr int kOffV = kOffK + kStages * kKVBytes;
  static constexpr int kOffO = kOffV + kStages * kKVBytes;
  static constexpr int kMisc = 2 * 8 + (4 + 4 * kStages) * 8;  // 2 tile slots; tile, Q, K, V barriers
  static constexpr bool kSeparateO = kOffO + kQBytes + kMisc + 1024 <= 227 * 1024;
  static constexpr int kOffMisc = kSeparateO ? kOffO + kQBytes : kOffO;
  static constexpr int kSmemBytes = kOffMisc + kMisc + 1024;  // + slack to align the base

  static_assert(D % kSwz == 0 && D % 16 == 0 && D <= 256, "head dim: whole swizzled regions, k16 steps");
  static_assert(BN % 32 == 0 && BN <= 256, "BN: whole 32-column dropout groups, one wgmma N");
  static_assert(kConsumerWGs == 2 || kConsumerWGs == 3, "two or three consumer warpgroups");
  static_assert(kQRegionBytes % 1024 == 0 && kKVRegionBytes % 1024 == 0, "regions stay 1024-byte aligned");
  static_assert(kSmemBytes <= 227 * 1024, "shared memory per block on sm_90");
};

// Per head dim, from the tile table (flash3_tiles.hpp). Ping-pong where the softmax is a large share of
// the time (D <= 128).
template <int D>
struct Fwd3TraitsFor : Fwd3Traits<D, fwd3_tile(D).bn, 2, fwd3_tile(D).consumer_wgs, (D <= 128)> {};

}  // namespace fa::flash3
