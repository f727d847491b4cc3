#pragma once
// Tile shapes of the flash forward kernel, one trait struct per head dim, kept apart from the
// kernel body and the launch code (the CUTLASS / FlashAttention split). Br x Bc come from
// flash_tiles.hpp (which the IO model reads too); warps and Q placement are set here.
//
// Why these shapes (per thread registers: O = Br*D/threads floats, S = Br*Bc/threads floats):
//   * Br = 128 query rows per block, 32 per warp (two m16 tiles) for D <= 128: every K/V fragment
//     read from shared memory feeds two MMAs, halving shared-memory traffic per FLOP versus 16.
//   * Bc = 64 keys per tile keeps O (D/2 .. D floats) + S (64 floats) under the 255-register cap
//     at D = 128 without spills.
//   * D = 256: 8 warps of 16 rows (O alone is 128 floats per thread).
//   * Q stays in registers (loaded once) when it is small (D <= 64); otherwise its fragments are
//     re-read from shared memory for each K tile, which costs smem bandwidth but no registers.
//   * K and V tiles are double-buffered: tile j+1 streams in (cp.async) while tile j is computed.
#include "kernels/flash/flash_tiles.hpp"
#include "kernels/flash/ptx.cuh"

namespace fa::flash {

template <int D_, int Br_, int Bc_, int Warps_, bool QInRegs_>
struct FwdTraits {
  static constexpr int D = D_;
  static constexpr int Br = Br_;
  static constexpr int Bc = Bc_;
  static constexpr int kWarps = Warps_;
  static constexpr int kThreads = Warps_ * 32;
  static constexpr int kRowsPerWarp = Br / Warps_;
  static constexpr int kMTiles = kRowsPerWarp / 16;  // m16 MMA tiles per warp
  static constexpr bool kQInRegs = QInRegs_;
  static constexpr int kStages = 2;  // K/V double buffering

  using QTile = ptx::SwizzledTile<Br, D>;
  using KVTile = ptx::SwizzledTile<Bc, D>;
  static constexpr int kSmemBytes = QTile::kBytes + kStages * 2 * KVTile::kBytes;

  static_assert(D % 32 == 0 && Bc % 16 == 0, "MMA tiling needs D % 32 == 0 and Bc % 16 == 0");
  static_assert(kRowsPerWarp % 16 == 0 && kMTiles >= 1, "each warp owns whole m16 tiles");
  static_assert((Br * D / 8) % kThreads == 0 && (Bc * D / 8) % kThreads == 0,
                "tile loads are whole 16-byte chunks per thread");
  static_assert(kSmemBytes <= 227 * 1024, "shared memory per block on sm_90");
};

template <int D>
struct FwdTraitsFor;
template <>
struct FwdTraitsFor<32> : FwdTraits<32, fwd_tile(32).br, fwd_tile(32).bc, 4, true> {};
template <>
struct FwdTraitsFor<64> : FwdTraits<64, fwd_tile(64).br, fwd_tile(64).bc, 4, true> {};
template <>
struct FwdTraitsFor<96> : FwdTraits<96, fwd_tile(96).br, fwd_tile(96).bc, 4, false> {};
template <>
struct FwdTraitsFor<128> : FwdTraits<128, fwd_tile(128).br, fwd_tile(128).bc, 4, false> {};
template <>
struct FwdTraitsFor<256> : FwdTraits<256, fwd_tile(256).br, fwd_tile(256).bc, 8, false> {};

}  // namespace fa::flash
