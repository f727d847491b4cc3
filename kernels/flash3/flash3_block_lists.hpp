#pragma once
// A block mask (core/block_mask.hpp) as the flash3 kernels walk it: per query tile the key blocks the forward
// loads, per key block the query blocks the backward visits, kept pairs only and within the causal range, so
// producer and consumers skip dropped pairs with no test in their loops (Flash3Params::mask_*). Built on the
// host once per point, outside any timed region. Plain C++: built in every configuration (the CPU tests check
// it against the mask element by element).
#include <cstdint>
#include <string>
#include <vector>

#include "core/block_mask.hpp"
#include "kernels/flash3/flash3_params.hpp"

namespace fa::flash3 {

// What the lists depend on besides the mask.
struct BlockListShape {
  std::int64_t seqlen_q = 0, seqlen_kv = 0;
  int head_dim = 0;
  bool causal = false;
  bool backward = false;  // also the backward's lists
};

// Offsets ([mask heads * tiles + 1]) and entries of one direction, ascending within a tile.
struct BlockList {
  std::vector<int> offsets, entries;
};

struct Flash3BlockLists {
  BlockList fwd;  // per (mask head, forward query tile): entries as Flash3Params::mask_kv_blocks (kKvEntryShift)
  BlockList bwd;  // per (mask head, backward key block): query block (Bwd3Tile::bm rows); empty without backward
};

// Why flash3 cannot run masks of these blocks ("" when it can): the blocks must be multiples of 128 x 128, so
// that a backward key block lies in one mask column and every 64-row warpgroup slice in one mask row.
std::string flash3_mask_blocks_unsupported(int block_q, int block_k);

// The lists of `mask` for `shape`. Throws std::invalid_argument when the mask's blocks are unsupported, its
// shape does not match, or the lists would hold 2^31 entries or more.
Flash3BlockLists flash3_block_lists(const BlockMask& mask, const BlockListShape& shape);

}  // namespace fa::flash3
