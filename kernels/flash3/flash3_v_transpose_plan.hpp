#pragma once
// Index math of the fp8 V -> V^T transpose (flash3_v_transpose.cuh), host and device, so the CPU tests
// replay it for every lane and step (tests/cpu/test_flash3_v_transpose.cpp).
//
// One warp step (a "unit") moves 32 keys x 16 head-dim bytes: one ldmatrix.x4.trans, four byte permutes
// per lane, one stmatrix.x4.
//   load   matrix m (m = 0..3) is raw rows (keys) 32 g + 8 m .. + 7, head-dim bytes 16 j .. 16 j + 15; lane l
//          addresses key 32 g + l. With .trans (16-bit elements) lane l = 4 c + t receives from matrix m the
//          word {V[2t][2c], V[2t][2c+1], V[2t+1][2c], V[2t+1][2c+1]} (keys relative to 32 g + 8 m, bytes
//          relative to 16 j).
//   permute  V^T slots 4t .. 4t + 3 of a 16-slot chunk hold keys 2t, 2t + 1, 2t + 8, 2t + 9 (fp8_key_of_slot),
//          i.e. bytes 0, 2 of matrix 0 and 0, 2 of matrix 1 for head-dim byte 2c (1, 3 and 1, 3 for 2c + 1);
//          matrices 2, 3 give slots 16 .. 31 the same way. Four words: one V^T row (head-dim byte) each.
//   store  non-transposed: lane l = 4 c + t writes word m to row c of matrix m at bytes 4t .. 4t + 3. Matrix 0
//          takes head-dim byte 2c + (c >= 4) of slots 0 .. 15, matrix 1 the other one (2c + (c < 4)), matrices
//          2, 3 the same for slots 16 .. 31. Splitting the parities that way gives the 8 rows of a matrix
//          all 8 residues mod 8, so the 128-byte swizzle puts them in 8 distinct bank groups: no conflict.
//          (All rows even would be 2-way conflicted.) The loads are conflict-free as they are: 8 consecutive
//          keys are 8 distinct swizzle rows in both the 128-byte and the 64-byte swizzle.
// Addresses: the swizzle XORs the 16-byte chunk bits (4..6) of an offset with bits of the row, and a row's
// bits are the lane's (32 g and 16 j leave them alone). Within the chunk bits the lane's offset and the unit's
// are disjoint and nothing carries into them, so an address is ((base + lane offset) ^ lane xor + unit add)
// ^ unit xor: one constant per lane, a warp-uniform add and XOR per unit (few registers: the producer warps
// run on Fwd3Traits::kProducerRegs after setmaxnreg). This needs the stage bases 1024-byte aligned (they are:
// Smem in flash3_fwd_kernel.cuh).
#include <cstdint>

#include "core/hostdevice.hpp"

namespace fa::flash3 {

// The key (within its 32) stored in V^T slot `slot` (within its 32): within every 32 keys, slot 4t + i holds
// key 2t + (i % 2) + 8 (i / 2) of the first 16 (the same + 16 for slots 16 .. 31), the order P's register
// fragments use (acc_to_a_fp8 in flash3_tile_ops.cuh).
FA_HD constexpr int fp8_key_of_slot(int slot) {
  const int half = slot / 16, t = (slot % 16) / 4, i = slot % 4;
  return 16 * half + 2 * t + (i % 2) + 8 * (i / 2);
}

// kSwzBytes: bytes per swizzled raw V row (128 or 64); kKVRegionBytes, kVtRegionBytes: region sizes of the raw
// stage ([BN keys x kSwzBytes]) and of V^T ([D rows x 128 keys], 128-byte swizzle).
template <int D, int BN, int kSwzBytes, int kKVRegionBytes, int kVtRegionBytes>
struct VtPlan {
  static constexpr int kDChunks = D / 16;             // 16-byte head-dim chunks per raw row
  static constexpr int kUnits = BN / 32 * kDChunks;   // warp steps per tile
  // Units a warp loads before it stores any (its units are warp, warp + warps, ...: this many per pass), given
  // the registers the producer warps run on after setmaxnreg: each unit holds 4 words per lane. With 32 (three
  // consumer warpgroups) a second unit spills the caller's loop state (ptxas -v), with 40 it fits.
  FA_HD static constexpr int units_in_flight(int producer_regs) { return producer_regs >= 40 ? 2 : 1; }
  static_assert(kSwzBytes == 128 || kSwzBytes == 64, "raw V rows: 128-byte or 64-byte swizzle");
  static_assert(D % 16 == 0 && BN % 64 == 0,
                "whole 16-byte chunks, V^T regions of 128 keys (the last one may be half used)");

  // Unit u: keys 32 g .. 32 g + 31, head-dim bytes 16 j .. 16 j + 15 (j fastest). Unsigned: the divisions by
  // powers of two are then shifts and masks.
  FA_HD static constexpr unsigned group(unsigned u) { return u / kDChunks; }
  FA_HD static constexpr unsigned chunk(unsigned u) { return u % kDChunks; }

  // The raw swizzle's row bits (which 16-byte chunk a row's chunk 0 lands in): TMA's 128-byte swizzle XORs
  // the chunk with row % 8, the 64-byte one with (row / 2) % 4.
  FA_HD static constexpr std::uint32_t raw_row_bits(int row) {
    return kSwzBytes == 128 ? static_cast<std::uint32_t>(row & 7) : static_cast<std::uint32_t>((row >> 1) & 3);
  }

  // ldmatrix: lane `lane` addresses raw row (key) 32 g + lane, chunk j. Its address in unit u is
  // ld_address(ld_lane_address(raw, lane), u): the lane's own part (with the swizzle's XOR) once, then per unit
  // a warp-uniform add (rows, regions) and XOR (the chunk).
  FA_HD static constexpr std::uint32_t ld_lane_address(std::uint32_t raw, int lane) {
    return (raw + static_cast<std::uint32_t>(lane * kSwzBytes)) ^ (raw_row_bits(lane) << 4);
  }
  FA_HD static constexpr std::uint32_t ld_address(std::uint32_t lane_address, unsigned u) {
    const unsigned byte = 16 * chunk(u);
    return (lane_address + 32 * group(u) * kSwzBytes + byte / kSwzBytes * kKVRegionBytes) ^ (byte % kSwzBytes);
  }

  // stmatrix: lane 8 m + r addresses row r of matrix m: V^T row (head-dim byte) 16 j + vt_row(lane), slot
  // chunk 2 (g % 4) + m / 2 of region g / 4; the address is st_address(st_lane_address(vt, lane), u).
  FA_HD static constexpr int vt_row(int lane) {
    const int m = lane / 8, r = lane % 8;
    return 2 * r + ((r >= 4 ? 1 : 0) ^ (m & 1));
  }
  FA_HD static constexpr std::uint32_t st_lane_address(std::uint32_t vt, int lane) {
    const int row = vt_row(lane);
    return (vt + static_cast<std::uint32_t>(row * 128 + 16 * (lane / 16))) ^ static_cast<std::uint32_t>((row & 7) << 4);
  }
  FA_HD static constexpr std::uint32_t st_address(std::uint32_t lane_address, unsigned u) {
    const unsigned g = group(u);
    return (lane_address + g / 4 * kVtRegionBytes + 16 * 128 * chunk(u)) ^ (32 * (g % 4));
  }

  // Pieces: the device loop hands each warp pieces of kPieceChunks consecutive chunks of one group (warp w takes
  // pieces w, w + warps, ...) and walks a piece's chunks unrolled. The adds of ld_address and st_address are
  // multiples of 1024 and their XORs touch bits 4..6 only, so the two commute: a piece's addresses are one base
  // each, computed once per piece, then per chunk jj an XOR of 16 jj (loads; 16 j0 and 16 jj share no bits) and an
  // immediate offset of 2048 jj (stores). One LOP3 per unit instead of the ~12 integer operations of the general form.
  // A piece stays inside one raw region (kPieceChunks divides kSwzBytes / 16).
  // The piece size: the one whose busiest warp (of `warps`) issues least, counting ~6 operations per piece and ~7
  // per unit (load, store, four byte permutes, the XOR); larger pieces on ties.
  FA_HD static constexpr int piece_chunks(int warps) {
    int best = 1, best_cost = 1 << 30;
    for (int c = kSwzBytes / 16; c >= 1; c /= 2) {
      if (kDChunks % c != 0) continue;
      const int pieces = kUnits / c, per_warp = (pieces + warps - 1) / warps, cost = per_warp * (6 + 7 * c);
      if (cost < best_cost) best = c, best_cost = cost;
    }
    return best;
  }
  FA_HD static constexpr std::uint32_t piece_ld_base(std::uint32_t lane_address, unsigned g, unsigned j0) {
    return ((lane_address + 32 * g * kSwzBytes) ^ (16 * j0 % kSwzBytes)) + 16 * j0 / kSwzBytes * kKVRegionBytes;
  }
  FA_HD static constexpr std::uint32_t piece_ld(std::uint32_t base, unsigned jj) { return base ^ (16 * jj); }
  FA_HD static constexpr std::uint32_t piece_st_base(std::uint32_t lane_address, unsigned g, unsigned j0) {
    return ((lane_address ^ (32 * (g % 4))) + g / 4 * kVtRegionBytes) + 16 * 128 * j0;
  }
  FA_HD static constexpr std::uint32_t piece_st(std::uint32_t base, unsigned jj) { return base + 16 * 128 * jj; }

  // Byte-permute selectors (__byte_perm(x, y, s): byte i of the result is byte s_i of {y:x}) of lane `lane`:
  // sel_first gives the word of stmatrix matrices 0 and 2 (head-dim byte 2c + (c >= 4)), sel_second that of
  // matrices 1 and 3. 0x6420 takes bytes 0, 2 of each word (head-dim byte 2c), 0x7531 bytes 1, 3 (2c + 1).
  FA_HD static constexpr std::uint32_t sel_first(int lane) { return lane / 4 >= 4 ? 0x7531u : 0x6420u; }
  FA_HD static constexpr std::uint32_t sel_second(int lane) { return lane / 4 >= 4 ? 0x6420u : 0x7531u; }
};

}  // namespace fa::flash3
