#pragma once
// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11) and the
// dropout keep-mask defined on it. One definition for host and device: the CPU reference, the
// standard kernel and the flash kernels must drop exactly the same elements.
#include <cstdint>

#include "core/hostdevice.hpp"

namespace fa {

struct Philox4 {
  std::uint32_t x, y, z, w;
};

FA_HD std::uint32_t mulhilo32(std::uint32_t a, std::uint32_t b, std::uint32_t* hi) {
  const std::uint64_t p = static_cast<std::uint64_t>(a) * b;
  *hi = static_cast<std::uint32_t>(p >> 32);
  return static_cast<std::uint32_t>(p);
}

// Ten rounds with the standard multipliers and Weyl key increments.
FA_HD Philox4 philox4x32_10(Philox4 ctr, std::uint32_t k0, std::uint32_t k1) {
  constexpr std::uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;
  constexpr std::uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;
  for (int round = 0; round < 10; ++round) {
    std::uint32_t hi0, hi1;
    const std::uint32_t lo0 = mulhilo32(kM0, ctr.x, &hi0);
    const std::uint32_t lo1 = mulhilo32(kM1, ctr.z, &hi1);
    ctr = Philox4{hi1 ^ ctr.y ^ k0, lo1, hi0 ^ ctr.w ^ k1, lo0};
    k0 += kW0;
    k1 += kW1;
  }
  return ctr;
}

// Dropout keep-mask. Element (b, h, row, col) of the attention matrix uses word (col % 4) of
// Philox(counter = {col / 4, row, h, b}, key = seed). Four neighbouring columns share one Philox
// call, which is what a GPU thread holding 4 columns of a tile wants. An element is kept when its
// 32-bit word is >= the drop threshold, so P(keep) = 1 - threshold / 2^32.
FA_HD std::uint32_t dropout_threshold(double p) {
  const double t = p * 4294967296.0;
  return t >= 4294967295.0 ? 0xFFFFFFFFu : static_cast<std::uint32_t>(t);
}

FA_HD Philox4 dropout_words(std::uint64_t seed, std::uint32_t b, std::uint32_t h, std::uint32_t row,
                            std::uint32_t col4) {
  return philox4x32_10(Philox4{col4, row, h, b}, static_cast<std::uint32_t>(seed),
                       static_cast<std::uint32_t>(seed >> 32));
}

FA_HD std::uint32_t philox_word(const Philox4& r, unsigned i) {
  return i == 0 ? r.x : i == 1 ? r.y : i == 2 ? r.z : r.w;
}

FA_HD bool dropout_keep(std::uint64_t seed, std::uint32_t threshold, std::uint32_t b, std::uint32_t h,
                        std::uint32_t row, std::uint32_t col) {
  const Philox4 r = dropout_words(seed, b, h, row, col >> 2);
  return philox_word(r, col & 3u) >= threshold;
}

}  // namespace fa
