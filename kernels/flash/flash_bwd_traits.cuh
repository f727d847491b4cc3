#pragma once
// Tile shapes of the flash backward kernel, per head dim, kept apart from the launch code so the
// kernel body stays generic. Br x Bc come from flash_tiles.hpp (which the IO model reads too); the
// warp grids are set here.
//
// One thread block = 8 warps owns a K/V tile of kBc keys and loops over Q tiles of kBr rows.
// Its five products are split over the 8 warps in three different ways (warp grids):
//   S = Q K^T and dP = dO V^T  [kBr x kBc]: kWarpsMsdp warps along rows, the rest along keys. Both
//                              use the same grid, so P and dP of an element live in the same thread.
//   dV += P^T dO, dK += dS^T Q [kBc x D]: kWarpsNdkv warps along keys, the rest along D. These two
//                              accumulators stay in registers for the whole block.
//   dQ = dS K                  [kBr x D]: kWarpsMdq warps along rows, the rest along D; added to the
//                              fp32 dQ buffer with atomics after every Q tile.
// The shapes follow the register budget: dK + dV accumulators are (kBc * D * 2) / 256 fp32 per
// thread (128 at D = 128), S and dP add (kBr * kBc * 2) / 256 (64 at kBr = 64, kBc = 128).
#include "kernels/flash/flash_bwd_gemm.cuh"
#include "kernels/flash/flash_tiles.hpp"

namespace fa::flash::bwd {

template <int D, int Br, int Bc, int WarpsMsdp, int WarpsNdkv, int WarpsMdq, int DqSplit = 1>
struct BwdTraitsBase {
  static constexpr int kD = D;
  static constexpr int kBr = Br;
  static constexpr int kBc = Bc;
  static constexpr int kWarps = 8;
  static constexpr int kThreads = kWarps * 32;

  // Per-warp tile of S / dP.
  static constexpr int kWarpsMsdp = WarpsMsdp;
  static constexpr int kWarpsNsdp = kWarps / WarpsMsdp;
  static constexpr int kWmSdp = Br / WarpsMsdp;
  static constexpr int kWnSdp = Bc / kWarpsNsdp;
  // Per-warp tile of dK / dV (rows = keys, cols = head dim).
  static constexpr int kWarpsNdkv = WarpsNdkv;
  static constexpr int kWarpsDdkv = kWarps / WarpsNdkv;
  static constexpr int kWmDkv = Bc / WarpsNdkv;
  static constexpr int kWnDkv = D / kWarpsDdkv;
  // Per-warp tile of dQ (rows = queries, cols = head dim).
  static constexpr int kWarpsMdq = WarpsMdq;
  static constexpr int kWarpsDdq = kWarps / WarpsMdq;
  static constexpr int kWmDq = Br / WarpsMdq;
  static constexpr int kWnDq = D / kWarpsDdq;
  // dQ is computed in this many column slices, so its temporary accumulator fits next to dK, dV.
  static constexpr int kDqSplit = DqSplit;

  // m16n8k16 tiles: rows in 16s, cols in 8s; B fragments are loaded two n-tiles at a time.
  static_assert(kWmSdp % 16 == 0 && kWnSdp % 16 == 0, "S/dP warp tile");
  static_assert(kWmDkv % 16 == 0 && kWnDkv % 16 == 0, "dK/dV warp tile");
  static_assert(kWmDq % 16 == 0 && kWnDq % (16 * DqSplit) == 0, "dQ warp tile");
  static_assert(D % 16 == 0 && Br % 16 == 0 && Bc % 16 == 0, "k steps of 16");

  // Shared memory: K, V (whole block), Q and dO double-buffered (the next tile streams in while
  // this one is used), P and dS of the current tile (they are read transposed by other warps),
  // and the per-row lse / delta of the Q tile (kept out of registers, which are all spoken for).
  using TileKV = PaddedTile<Bc, D>;
  using TileQ = PaddedTile<Br, D>;
  using TileP = PaddedTile<Br, Bc>;
  static constexpr int kOffK = 0;
  static constexpr int kOffV = kOffK + TileKV::kBytes;
  static constexpr int kOffQ = kOffV + TileKV::kBytes;          // two buffers
  static constexpr int kOffDO = kOffQ + 2 * TileQ::kBytes;      // two buffers
  static constexpr int kOffP = kOffDO + 2 * TileQ::kBytes;
  static constexpr int kOffDS = kOffP + TileP::kBytes;
  // Per-row log2-domain lse and delta of the Q tile (two buffers each, Br floats per buffer).
  static constexpr int kOffLse = kOffDS + TileP::kBytes;
  static constexpr int kOffDelta = kOffLse + 2 * Br * 4;
  static constexpr int kSmemBytes = kOffDelta + 2 * Br * 4;
  static_assert(kSmemBytes <= 227 * 1024, "exceeds the sm_90 shared-memory limit per block");
};

template <int D>
struct BwdTraits;

// D = 32: the accumulators are small enough for 128-row Q tiles (fewer barriers per FLOP).
template <>
struct BwdTraits<32> : BwdTraitsBase<32, bwd_tile(32).br, bwd_tile(32).bc, 2, 4, 4> {};
// D = 64 with 128-row Q tiles (S and dP at 64 registers each) spilled; 64 rows cost nothing in dQ
// atomics per FLOP (that depends on Bc only).
template <>
struct BwdTraits<64> : BwdTraitsBase<64, bwd_tile(64).br, bwd_tile(64).bc, 2, 4, 4> {};
template <>
struct BwdTraits<96> : BwdTraitsBase<96, bwd_tile(96).br, bwd_tile(96).bc, 2, 4, 4> {};
template <>
struct BwdTraits<128> : BwdTraitsBase<128, bwd_tile(128).br, bwd_tile(128).bc, 2, 4, 2> {};
// D = 256: dK + dV of a 128-key tile would need 256 registers per thread; halve the key tile, and
// compute dQ (32 x 64 per warp) in four slices of 16 columns (fewer slices spilled).
template <>
struct BwdTraits<256> : BwdTraitsBase<256, bwd_tile(256).br, bwd_tile(256).bc, 4, 2, 2, 4> {};

}  // namespace fa::flash::bwd
