// flash3_block_lists.hpp: the kernels' tile shapes (flash3_tiles.hpp) over the mask's blocks.
#include "kernels/flash3/flash3_block_lists.hpp"

#include <algorithm>
#include <climits>
#include <stdexcept>

#include "kernels/flash3/flash3_tiles.hpp"

namespace fa::flash3 {
namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Closes the list of one tile: its entries so far end there.
void end_tile(BlockList& l) {
  if (l.entries.size() >= static_cast<std::size_t>(INT_MAX))
    throw std::invalid_argument("flash3 block mask: 2^31 kept tile pairs or more");
  l.offsets.push_back(static_cast<int>(l.entries.size()));
}

// Forward: tile m of bm rows sees key blocks [0, its causal end) of bn keys (flash3_fwd_kernel.cuh kv_blocks);
// warpgroup w's rows [m bm + 64 w, + 64) lie in one mask row, block n's keys in one mask column.
BlockList forward_lists(const BlockMask& mask, const BlockListShape& s) {
  const Fwd3Tile tile = fwd3_tile(s.head_dim);
  const std::int64_t bm = tile.bm(), bn = tile.bn, nq = s.seqlen_q, nk = s.seqlen_kv;
  BlockList l;
  l.offsets.push_back(0);
  for (std::int64_t h = 0; h < mask.heads; ++h)
    for (std::int64_t m = 0; m < ceil_div(nq, bm); ++m) {
      std::int64_t end = nk;
      if (s.causal) end = std::min(nk, std::min(nq, (m + 1) * bm) + nk - nq);
      const std::int64_t blocks = end <= 0 ? 0 : ceil_div(end, bn);
      for (std::int64_t n = 0; n < blocks; ++n) {
        int bits = 0;
        for (int w = 0; w < tile.consumer_wgs; ++w) {
          const std::int64_t row = std::min(m * bm + 64 * w, nq - 1);  // rows past Nq are never stored
          if (mask.at(h, row / mask.block_q, n * bn / mask.block_k) != 0) bits |= 1 << w;
        }
        if (bits != 0) l.entries.push_back(static_cast<int>(n << kKvEntryShift | bits));
      }
      // A tile with blocks in its range keeps a list entry even when the mask drops them all (block 0 for no
      // warpgroup: O = 0, lse = -inf), so that a list is empty exactly when the dense loop is and the producer
      // tests that cheaper count (flash3_fwd_kernel.cuh produce).
      const auto first = static_cast<std::size_t>(l.offsets.back());
      if (blocks > 0 && l.entries.size() == first) l.entries.push_back(0);
      if (l.entries.size() > first) l.entries[first] |= kKvEntryLast;
      end_tile(l);
    }
  return l;
}

// Backward: key block n of bn keys visits query blocks [its causal first, Nq / bm) (flash3_bwd_kernel.cuh work_of).
BlockList backward_lists(const BlockMask& mask, const BlockListShape& s) {
  const Bwd3Tile tile = bwd3_tile(s.head_dim);
  const std::int64_t bm = tile.bm, bn = tile.bn, nq = s.seqlen_q, nk = s.seqlen_kv;
  BlockList l;
  l.offsets.push_back(0);
  for (std::int64_t h = 0; h < mask.heads; ++h)
    for (std::int64_t n = 0; n < ceil_div(nk, bn); ++n) {
      std::int64_t m_begin = 0;
      if (s.causal) m_begin = std::max<std::int64_t>(0, n * bn - (nk - nq)) / bm;
      for (std::int64_t m = m_begin; m < ceil_div(nq, bm); ++m)
        if (mask.at(h, m * bm / mask.block_q, n * bn / mask.block_k) != 0) l.entries.push_back(static_cast<int>(m));
      end_tile(l);
    }
  return l;
}

}  // namespace

std::string flash3_mask_blocks_unsupported(int block_q, int block_k) {
  if (block_q < 128 || block_k < 128 || block_q % 128 != 0 || block_k % 128 != 0)
    return "flash3 block mask: blocks must be multiples of 128 x 128 (got " + std::to_string(block_q) + "x" +
           std::to_string(block_k) + ")";
  return "";
}

Flash3BlockLists flash3_block_lists(const BlockMask& mask, const BlockListShape& shape) {
  if (const std::string why = flash3_mask_blocks_unsupported(mask.block_q, mask.block_k); !why.empty())
    throw std::invalid_argument(why);
  if (fwd3_tile(shape.head_dim).bn == 0 || (shape.backward && bwd3_tile(shape.head_dim).bm == 0))
    throw std::invalid_argument("flash3 block mask: no flash3 tile at head dim " + std::to_string(shape.head_dim));
  if (mask.heads < 1 || mask.blocks_q != ceil_div(shape.seqlen_q, mask.block_q) ||
      mask.blocks_k != ceil_div(shape.seqlen_kv, mask.block_k) ||
      mask.bits.size() != static_cast<std::size_t>(mask.heads * mask.blocks_q * mask.blocks_k))
    throw std::invalid_argument("flash3 block mask: shape does not match the problem");
  Flash3BlockLists lists;
  lists.fwd = forward_lists(mask, shape);
  if (shape.backward) lists.bwd = backward_lists(mask, shape);
  return lists;
}

}  // namespace fa::flash3
