#pragma once
// Block-sparsity mask: which (query-block, key-block) tiles take part in attention.
// Layout [H or 1, ceil(Nq / block_q), ceil(Nk / block_k)], row-major, one byte per block (1 = kept).
// heads == 1 means one mask shared by every head.
#include <cstdint>
#include <vector>

namespace fa {

struct BlockMask {
  std::int64_t heads = 1;
  std::int64_t blocks_q = 0;
  std::int64_t blocks_k = 0;
  int block_q = 128;
  int block_k = 128;
  std::vector<std::uint8_t> bits;

  std::uint8_t at(std::int64_t h, std::int64_t bq, std::int64_t bk) const {
    const std::int64_t hh = heads == 1 ? 0 : h;
    return bits[static_cast<std::size_t>((hh * blocks_q + bq) * blocks_k + bk)];
  }
  // Element-level lookup: does query row `row` of head h see key column `col`?
  bool visible(std::int64_t h, std::int64_t row, std::int64_t col) const {
    return at(h, row / block_q, col / block_k) != 0;
  }
  double density() const;  // fraction of kept blocks
};

}  // namespace fa
