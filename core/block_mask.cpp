#include "core/block_mask.hpp"

#include <numeric>

namespace fa {

double BlockMask::density() const {
  if (bits.empty()) return 0.0;
  const std::size_t kept = std::accumulate(bits.begin(), bits.end(), std::size_t{0},
                                           [](std::size_t a, std::uint8_t b) { return a + (b ? 1 : 0); });
  return static_cast<double>(kept) / static_cast<double>(bits.size());
}

}  // namespace fa
