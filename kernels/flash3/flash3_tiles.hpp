#pragma once
// Tile shapes of the flash3 forward and backward per head dim: the one copy. The CUDA traits (flash3_fwd_traits.cuh,
// which says why these shapes) are built from it and the family's IO model (flash3_family.cpp) reads it.
// Plain C++: the face includes it in builds without CUDA.
#include "core/hostdevice.hpp"

namespace fa::flash3 {

struct Fwd3Tile {
  int consumer_wgs = 0;  // 64 query rows each: BM = 64 x consumer_wgs
  int bn = 0;            // keys per K/V block
  constexpr int bm() const { return 64 * consumer_wgs; }
};

// {0, 0} for a head dim the kernels are not instantiated for.
constexpr Fwd3Tile fwd3_tile(int d) {
  switch (d) {
    case 64: return {3, 128};
    case 96:
    case 128: return {2, 128};
    case 256: return {2, 64};
    default: return {};
  }
}

// fp8 (e4m3 Q, K, V): D = 256, whose operands are half as large, keeps 128 keys per block (64 measured +11 % time).
// D = 128 takes 256, as cuDNN's fp8 kernel does: it waits for each block's GEMMs in turn (Fwd3Traits::kSerialGemms),
// so P need not live beside the next S and S, P and O fit. Measured on an H200 (docs/perf/2026-12-01-session18.md):
// against 192 keys in the same serial kernel -7.0 % / -6.1 % time (non-causal / causal, call 5), -6.5 % with the
// turns (call 6). (In the overlapped kernel 192 had measured -0.7 % / -4.5 % against 128, session 16.)
constexpr Fwd3Tile fwd3_fp8_tile(int d) {
  switch (d) {
    case 64: return {3, 128};
    case 128: return {2, 256};
    case 256: return {2, 128};
    default: return {};
  }
}

// Causal order of work, forward and backward: a head's tiles differ in length (the forward's last query tiles
// and the backward's first key blocks see the most blocks), so the longest go first. One head after another,
// the long tiles of the last heads start last and the SMs that finish early idle; longest-first over every
// head at once runs the CTAs of many heads side by side, and their K/V (forward) or Q/dO and dQ (backward)
// no longer share L2. So the order takes rounds: the `chunk` longest tiles of every head, heads in turn, then
// the next ones of every head, and so on. Measured on an H200 (bf16, docs/perf/2026-11-30-session14.md),
// against one round per head (chunk = all of a head's tiles):
//  - forward: rounds of 8 tiles, or 8 rounds past 64 tiles per head (keeping about as many heads side by
//    side at any length): N 8192 -5.6 % time (D 64 and 128); N 16384 -1.5 to -3 %, N 32768 D 64 -5.6 %,
//    D 128 even. Rounds of 1 (longest first over all heads) cost +13 % at N 512-1024 (D 128).
//  - backward: rounds of 8 key blocks up to 64 blocks per head: fwd+bwd N 8192 D 128 -3.6 %; beyond, one
//    round per head: rounds there cost fwd+bwd D 128 +10 % at N 16384 and +8 % at N 32768.
FA_HD constexpr int fwd_causal_round_tiles(int tiles_per_head) {
  return tiles_per_head > 64 ? (tiles_per_head + 7) / 8 : 8;
}
FA_HD constexpr int bwd_causal_round_tiles(int blocks_per_head) { return blocks_per_head > 64 ? blocks_per_head : 8; }

// Work item `item` (< tiles_per_head * heads, below 2^32) of that order with rounds of `chunk` tiles: its head
// (over batch x heads) and its rank inside the head, 0 = the longest tile.
struct CausalSlot {
  unsigned head, rank;
};
FA_HD constexpr CausalSlot causal_slot(unsigned item, unsigned tiles_per_head, unsigned heads, unsigned chunk) {
  const unsigned per_round = chunk * heads, round = item / per_round, r = item - round * per_round;
  const unsigned first = round * chunk, left = tiles_per_head - first, width = chunk < left ? chunk : left;
  const unsigned head = r / width;
  return {head, first + (r - head * width)};
}

// Elements per swizzled shared-memory row of a 16-bit [rows x d] tile: 64 (128-byte swizzle) where d is a
// multiple of 64, else 32 (64-byte swizzle): the TMA boxes and the kernels' layouts agree on it.
constexpr int swizzle_cols(int d) { return d % 64 == 0 ? 64 : 32; }

// The backward: a CTA owns `bn` keys (64 per consumer warpgroup) and walks the query blocks of `bm` rows.
struct Bwd3Tile {
  int bm = 0, bn = 0;
};

// {0, 0} for a head dim the backward is not instantiated for.
constexpr Bwd3Tile bwd3_tile(int d) { return d == 64 || d == 96 || d == 128 ? Bwd3Tile{64, 128} : Bwd3Tile{}; }

// Columns per swizzled row of the K tile the backward's dQ = dS K reads (MN-major B operand). Each consumer
// warpgroup computes half of dQ's columns (64 + 32 at D = 96) and its B must start on a swizzle-atom
// boundary; at D = 64 the halves are 32 columns, half a 128-byte atom, so there the producer loads K a
// second time with the 64-byte swizzle (32-column regions) for this GEMM alone.
constexpr int bwd3_dq_swizzle_cols(int d) { return d == 64 ? 32 : swizzle_cols(d); }

}  // namespace fa::flash3
