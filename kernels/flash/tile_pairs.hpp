#pragma once
// The tile pairs a fused attention kernel loads (the counting behind the fused IO model in
// flash_io.cpp): a kernel that walks (query tile, key tile) pairs skips those no row of the pair can
// see, under causal masking and an optional block mask.
#include <cstdint>

#include "core/block_mask.hpp"
#include "core/problem.hpp"

namespace fa::flash {

// Sums over the (query tile, key tile) pairs a fused kernel loads, over all batches and heads:
// pairs, and the rows / columns those pairs cover (edge tiles counted at their real size).
struct PairSums {
  double pairs = 0, rows = 0, cols = 0;
};

// A pair is loaded when some element of it is causally visible (bottom-right aligned) and, with a
// mask, some mask block it overlaps is kept. br x bc: the kernel's tile.
PairSums loaded_pairs(const Problem& p, int br, int bc, const BlockMask* mask);

// Heads whose tiles run at the same time: the grid is head-major with `tiles_per_head` CTAs per
// head, so a wave of `concurrent` CTAs spans this many heads (one more for the partial head at
// each end of the wave).
double live_heads(const Problem& p, double tiles_per_head, double concurrent);

}  // namespace fa::flash
