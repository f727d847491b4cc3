#pragma once
// Block-mask generators (layout in core/block_mask.hpp). Each takes the target density where
// the pattern has a free parameter and picks the nearest structure; the achieved density is
// BlockMask::density().
#include <cstdint>

#include "core/block_mask.hpp"
#include "core/problem.hpp"

namespace fa::ref {

// Builds the mask for `s` over an Nq x Nk score matrix; heads: 1 for a shared mask, or H for
// per-head masks (random uses per-head masks so heads differ; the others share one).
// Patterns:
//   dense          all blocks kept
//   causal-blocks  blocks that intersect the bottom-right aligned causal triangle
//   local          sliding window: |bq_diag - bk| <= w, w chosen so density ~ target
//   strided        local band of 1 block plus every stride-th key block, stride ~ 1/target
//   random         each block kept with probability = target (seeded, at least one per row)
//   butterfly      bk == bq_diag or bk == bq_diag XOR 2^i for each level i (FFT-like pattern)
BlockMask make_block_mask(const Sparsity& s, std::int64_t heads, std::int64_t seqlen_q, std::int64_t seqlen_kv,
                          std::uint64_t seed);

// Number of (row, col) elements visible under mask and causal flag, over all heads (for exact
// effective FLOPs): returns the fraction of H * Nq * Nk.
double visible_element_fraction(const BlockMask* mask, bool causal, std::int64_t heads, std::int64_t seqlen_q,
                                std::int64_t seqlen_kv);

}  // namespace fa::ref
