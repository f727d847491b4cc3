#pragma once
// Device side of the shared dropout keep-mask (core/philox.hpp) for tensor-core accumulators.
//
// In the mma.sync m16n8k16 and wgmma accumulator layouts a thread holds, per 16-row block and
// 32-column group, rows g and g + 8 and the column pair 2t, 2t + 1 of each 8-column block: exactly
// the 16 elements of one Philox call of the mask. Once such a tile of P is packed to 16-bit pairs
// (the A operand of P V), the pair of row g / g + 8 in 8-column block q is one .b32 register, and
// its two keep bytes are bytes (q % 2) * 2 and (q % 2) * 2 + 1 of word q / 2 (row g) or 2 + q / 2
// (row g + 8) of R. So dropout is: one Philox call, one SWAR compare per word
// (fa::dropout_keep_flags), and per pair one PRMT that turns the two flag bits into a 0xFFFF/0x0000
// half mask plus one AND.
#include <cstdint>

#include "core/philox.hpp"

namespace fa {

// prmt.b32 in its default mode: result byte i is selected by nibble i of `sel`; nibble bits 0-2
// index the 8 bytes of {b, a} (a = bytes 0-3), bit 3 replicates the top bit of that byte instead.
__device__ __forceinline__ std::uint32_t prmt(std::uint32_t a, std::uint32_t b, std::uint32_t sel) {
  std::uint32_t r;
  asm("prmt.b32 %0, %1, %2, %3;\n" : "=r"(r) : "r"(a), "r"(b), "r"(sel));
  return r;
}

// Half masks of a packed pair from keep flags (fa::dropout_keep_msb): bytes 0, 1 of the flag word
// (8-column block q even) or bytes 2, 3 (q odd); the low half of the result belongs to the first
// column of the pair, as in pack2.
__device__ __forceinline__ std::uint32_t keep_pair_mask(std::uint32_t flags, bool odd_block) {
  return prmt(flags, 0u, odd_block ? 0xBBAAu : 0x9988u);
}

// Applies the keep flags of one call to the four packed P registers of one m16 x k16 A fragment
// (a0 = row g, block 2s; a1 = row g + 8, block 2s; a2 = row g, block 2s + 1; a3 = row g + 8, block
// 2s + 1), where s = 0 for the first 16 columns of the 32-column group and 1 for the second.
__device__ __forceinline__ void drop_packed_fragment(std::uint32_t (&a)[4], const Philox4& flags, int s) {
  const std::uint32_t row_g = s == 0 ? flags.x : flags.y;
  const std::uint32_t row_g8 = s == 0 ? flags.z : flags.w;
  a[0] &= keep_pair_mask(row_g, false);
  a[1] &= keep_pair_mask(row_g8, false);
  a[2] &= keep_pair_mask(row_g, true);
  a[3] &= keep_pair_mask(row_g8, true);
}

}  // namespace fa
