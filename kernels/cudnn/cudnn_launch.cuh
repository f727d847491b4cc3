#pragma once
// Launch shape and index split shared by the family's small element-wise kernels (masked rows, the fp8 O
// conversion): grid-stride loops over a [B, H, rows, inner] index space, which can exceed one launch's grid.
#include <cstdint>

namespace fa::cudnn {

inline constexpr int kThreads = 256;

inline unsigned blocks_for(std::int64_t total) {
  const std::int64_t b = (total + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 65536 ? (b > 0 ? b : 1) : 65536);
}

struct BhrIndex {
  std::int64_t b, h, row, inner;
};

// Flat index i of a contiguous [B, H, rows, inner] space, split into its coordinates.
__device__ inline BhrIndex split_bhr(std::int64_t i, std::int64_t inner, std::int64_t rows, std::int64_t heads) {
  const std::int64_t in = i % inner;
  std::int64_t rest = i / inner;
  const std::int64_t row = rest % rows;
  rest /= rows;
  return {rest / heads, rest % heads, row, in};
}

}  // namespace fa::cudnn
