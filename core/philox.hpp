#pragma once
// Philox4x32 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11) and the
// dropout keep-mask defined on it (7 rounds; inputs and block masks use the standard 10). One definition for host and device: the CPU reference, the
// standard kernel and the flash kernels must drop exactly the same elements.
#include <cstdint>

#include "core/hostdevice.hpp"

namespace fa {

struct Philox4 {
  std::uint32_t x, y, z, w;
};

FA_HD std::uint32_t mulhilo32(std::uint32_t a, std::uint32_t b, std::uint32_t* hi) {
#if defined(__CUDA_ARCH__)
  // One IMAD.WIDE.U32. Written as a 64-bit C++ product, nvcc keeps 64-bit arithmetic through the XORs of
  // the round and adds a zero high word back after every multiply (VIADD + UMOV per product, measured
  // on sm_90a: a third of the dropout mask's instructions).
  std::uint32_t lo;
  asm("{\n\t.reg .b64 p;\n\tmul.wide.u32 p, %2, %3;\n\tmov.b64 {%0, %1}, p;\n\t}"
      : "=r"(lo), "=r"(*hi)
      : "r"(a), "r"(b));
  return lo;
#else
  const std::uint64_t p = static_cast<std::uint64_t>(a) * b;
  *hi = static_cast<std::uint32_t>(p >> 32);
  return static_cast<std::uint32_t>(p);
#endif
}

// The standard multipliers and Weyl key increments.
inline constexpr std::uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
inline constexpr std::uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;

// One round with key (k0, k1).
FA_HD Philox4 philox_round(const Philox4& ctr, std::uint32_t k0, std::uint32_t k1) {
  std::uint32_t hi0, hi1;
  const std::uint32_t lo0 = mulhilo32(kPhiloxM0, ctr.x, &hi0);
  const std::uint32_t lo1 = mulhilo32(kPhiloxM1, ctr.z, &hi1);
  return Philox4{hi1 ^ ctr.y ^ k0, lo1, hi0 ^ ctr.w ^ k1, lo0};
}

// kRounds rounds, the key stepping by (kPhiloxW0, kPhiloxW1) between them.
template <int kRounds>
FA_HD Philox4 philox4x32(Philox4 ctr, std::uint32_t k0, std::uint32_t k1) {
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int round = 0; round < kRounds; ++round) {
    ctr = philox_round(ctr, k0, k1);
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
  return ctr;
}

// The standard generator (Random123's default round count): input data and random block masks.
FA_HD Philox4 philox4x32_10(Philox4 ctr, std::uint32_t k0, std::uint32_t k1) { return philox4x32<10>(ctr, k0, k1); }

// The dropout mask's generator: 7 rounds, as FlashAttention-2's dropout uses. Salmon et al. report
// Philox4x32 with 7 rounds passing TestU01's BigCrush (10 is Random123's safety margin); the mask sits in
// the inner loop of every dropout kernel, where 3 rounds fewer are 30 % fewer generator instructions.
inline constexpr int kDropoutPhiloxRounds = 7;

FA_HD std::uint32_t philox_word(const Philox4& r, unsigned i) {
  return i == 0 ? r.x : i == 1 ? r.y : i == 2 ? r.z : r.w;
}

// Byte k (0..15) of a Philox result: bits 8(k % 4) .. 8(k % 4) + 7 of word k / 4 (x, y, z, w).
FA_HD std::uint32_t philox_byte(const Philox4& r, unsigned k) { return (philox_word(r, k >> 2) >> (8 * (k & 3))) & 0xFFu; }

// A 32-bit word threshold with P(word < threshold) = prob for a uniform word (prob in [0, 1]);
// used by the random block-mask pattern, not by dropout.
FA_HD std::uint32_t philox_threshold32(double prob) {
  const double t = prob * 4294967296.0;
  return t >= 4294967295.0 ? 0xFFFFFFFFu : t <= 0.0 ? 0u : static_cast<std::uint32_t>(t);
}

// ---------------------------------------------------------------------------------------------
// Dropout keep-mask. Element (b, h, row, col) of the [Nq x Nk] attention matrix of batch b, head h
// draws one byte of
//   R = Philox4x32-7(counter = {(row >> 4) * 8 + (row & 7), (col >> 5) * 4 + ((col >> 1) & 3), h, b},
//                     key = {(uint32) seed, (uint32)(seed >> 32)})
// namely byte ((row >> 3) & 1) * 8 + ((col >> 3) & 3) * 2 + (col & 1), and is kept iff that byte is
// >= t8 = dropout_threshold8(p). So one call serves 16 elements: rows r and r + 8 of a 16-row block
// (r % 16 < 8) and, in each 8-column block of a 32-column group, the column pair 2t, 2t + 1
// (t = (col >> 1) & 3). That is exactly what one thread holds in the accumulator layouts of
// mma.sync m16n8k16 and wgmma m64nNk16 (t = lane % 4): word x = row r, columns 32G + 2t + {0, 1} and
// 32G + 8 + 2t + {0, 1}; y = row r, columns 32G + 16 + 2t + {0, 1} and 32G + 24 + 2t + {0, 1};
// z and w the same for row r + 8. Kept elements are scaled by 1 / (1 - dropout_p_used(p)).
// The column sits in counter word y, the words fixed along a row in x, z and w: Philox's first rounds multiply
// x and z only, so a kernel walking the columns of a row computes most of the first three rounds once
// (DropoutRow): 10 multiplies and 12 XOR steps per call instead of 14 and 14.
// ---------------------------------------------------------------------------------------------

// t8 = min(255, round(p * 256)) for p in [0, 1) (negative or NaN p gives 0): P(byte < t8) = t8 / 256.
// Halves round up. Exact: p * 256 is a power-of-two scaling and x - floor(x) has no rounding error.
FA_HD std::uint32_t dropout_threshold8(double p) {
  const double x = p * 256.0;
  if (!(x >= 0.5)) return 0u;
  if (x >= 254.5) return 255u;
  const auto whole = static_cast<std::uint32_t>(x);  // floor, x > 0
  return x - static_cast<double>(whole) >= 0.5 ? whole + 1u : whole;
}

// The drop probability the mask actually applies (a multiple of 1/256).
FA_HD double dropout_p_used(double p) { return static_cast<double>(dropout_threshold8(p)) / 256.0; }

// Counter words of the call that covers element (row, col), and the byte of R it uses.
FA_HD std::uint32_t dropout_counter_col(std::uint32_t col) { return (col >> 5) * 4u + ((col >> 1) & 3u); }
FA_HD std::uint32_t dropout_counter_row(std::uint32_t row) { return (row >> 4) * 8u + (row & 7u); }
FA_HD unsigned dropout_byte(std::uint32_t row, std::uint32_t col) {
  return ((row >> 3) & 1u) * 8u + ((col >> 3) & 3u) * 2u + (col & 1u);
}

// The 16 random bytes of one call: counter_col = 32-column group * 4 + t, counter_row = 16-row
// block * 8 + (row % 8).
FA_HD Philox4 dropout_random(std::uint64_t seed, std::uint32_t b, std::uint32_t h, std::uint32_t counter_row,
                             std::uint32_t counter_col) {
  return philox4x32<kDropoutPhiloxRounds>(Philox4{counter_row, counter_col, h, b}, static_cast<std::uint32_t>(seed),
                                           static_cast<std::uint32_t>(seed >> 32));
}

// dropout_random of one counter row (seed, b, h, counter_row) at any counter column, with what does not depend on
// the column computed once. Round 1 multiplies x = row and z = h only: its y = col term is one XOR (x1 = a ^ col).
// Round 2 multiplies x1 (varies) and z1 (fixed): x2 and y2 are fixed, z2 = hi(M0 x1) ^ g. Round 3 multiplies x2
// (fixed) and z2: x3 = hi(M1 z2) ^ i, z3 = lo(M0 x1) ^ j, w3 = l. Rounds 4 to 7 are whole.
struct DropoutRow {
  std::uint32_t a, g, i, j, l, k0, k1;

  FA_HD DropoutRow(std::uint64_t seed, std::uint32_t b, std::uint32_t h, std::uint32_t counter_row)
      : k0(static_cast<std::uint32_t>(seed)), k1(static_cast<std::uint32_t>(seed >> 32)) {
    static_assert(kDropoutPhiloxRounds >= 3, "the first three rounds are split");
    std::uint32_t hi_row, hi_h, hi_z1, hi_x2;
    const std::uint32_t lo_row = mulhilo32(kPhiloxM0, counter_row, &hi_row);
    const std::uint32_t lo_h = mulhilo32(kPhiloxM1, h, &hi_h);
    a = hi_h ^ k0;                                                           // round 1: x1 = a ^ col
    const std::uint32_t z1 = hi_row ^ b ^ k1;                                //          y1 = lo_h, w1 = lo_row
    const std::uint32_t y2 = mulhilo32(kPhiloxM1, z1, &hi_z1);               // round 2
    const std::uint32_t x2 = hi_z1 ^ lo_h ^ (k0 + kPhiloxW0);
    g = lo_row ^ (k1 + kPhiloxW1);                                           //          z2 = hi(M0 x1) ^ g
    l = mulhilo32(kPhiloxM0, x2, &hi_x2);                                    // round 3: w3 = l
    i = y2 ^ (k0 + 2 * kPhiloxW0);                                           //          x3 = hi(M1 z2) ^ i
    j = hi_x2 ^ (k1 + 2 * kPhiloxW1);                                        //          z3 = lo(M0 x1) ^ j
  }

  FA_HD Philox4 random(std::uint32_t counter_col) const {
    std::uint32_t hi_x1, hi_z2;
    const std::uint32_t lo_x1 = mulhilo32(kPhiloxM0, a ^ counter_col, &hi_x1);
    const std::uint32_t z2 = hi_x1 ^ g;
    const std::uint32_t lo_z2 = mulhilo32(kPhiloxM1, z2, &hi_z2);
    Philox4 ctr{hi_z2 ^ i, lo_z2, lo_x1 ^ j, l};
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
    for (int round = 3; round < kDropoutPhiloxRounds; ++round)
      ctr = philox_round(ctr, k0 + static_cast<std::uint32_t>(round) * kPhiloxW0,
                         k1 + static_cast<std::uint32_t>(round) * kPhiloxW1);
    return ctr;
  }
};

// Byte-wise keep test of the four bytes of one word without unpacking them (SWAR): bit 8k + 7 of
// the result is 1 iff byte k of x is >= t8; the other bits are meaningless. t8x4 = t8 * 0x01010101.
// (x | 0x80) - (t8 & 0x7f) per byte never borrows across bytes and its top bit says whether the low
// seven bits of x reach those of t8; the top bits of x and t8 decide when they differ. Three
// instructions (LOP, IADD, LOP3) for four elements.
FA_HD std::uint32_t dropout_keep_msb(std::uint32_t x, std::uint32_t t8x4) {
  constexpr std::uint32_t kTop = 0x80808080u;
  const std::uint32_t low_ge = (x | kTop) - (t8x4 & ~kTop);
  return (x & ~t8x4) | (~(x ^ t8x4) & low_ge);
}

// The four words of R as keep flags (dropout_keep_msb of each word).
FA_HD Philox4 dropout_keep_flags(const Philox4& r, std::uint32_t t8) {
  const std::uint32_t t8x4 = t8 * 0x01010101u;
  return Philox4{dropout_keep_msb(r.x, t8x4), dropout_keep_msb(r.y, t8x4), dropout_keep_msb(r.z, t8x4),
                 dropout_keep_msb(r.w, t8x4)};
}

// The four flags (bits 7, 15, 23, 31) of dropout_keep_msb as bits 0..3: one multiply gathers them
// (the partial products land on distinct bits, so nothing carries into bits 28..31).
FA_HD std::uint32_t dropout_msb_nibble(std::uint32_t flags) { return ((flags & 0x80808080u) * 0x00204081u) >> 28; }

// The keep flags of one call's 16 elements as a 16-bit mask: bit k = byte k of R kept.
FA_HD std::uint32_t dropout_keep_mask16(const Philox4& r, std::uint32_t t8) {
  const Philox4 f = dropout_keep_flags(r, t8);
  return dropout_msb_nibble(f.x) | dropout_msb_nibble(f.y) << 4 | dropout_msb_nibble(f.z) << 8 |
         dropout_msb_nibble(f.w) << 12;
}

// Per-element form, for the reference and generic code (one Philox call per element).
FA_HD bool dropout_keep(std::uint64_t seed, std::uint32_t t8, std::uint32_t b, std::uint32_t h, std::uint32_t row,
                        std::uint32_t col) {
  const Philox4 r = dropout_random(seed, b, h, dropout_counter_row(row), dropout_counter_col(col));
  return philox_byte(r, dropout_byte(row, col)) >= t8;
}

}  // namespace fa
