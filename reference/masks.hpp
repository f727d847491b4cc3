#pragma once
// Block-mask generators (layout in core/block_mask.hpp). Each takes the target density where
// the pattern has a free parameter and picks the nearest structure; the achieved density is
// BlockMask::density(), and density_out_of_reach() says when it is too far from the target to
// stand for it.
#include <cstdint>
#include <optional>
#include <string>

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
//   butterfly      bk == bq_diag or bk == bq_diag XOR 2^i for each level i (FFT-like pattern); above
//                  the density all levels give ((1 + log2 nb) / nb), over groups of 2^j adjacent key
//                  blocks: group(bk) == group(bq_diag) XOR 2^i
BlockMask make_block_mask(const Sparsity& s, std::int64_t heads, std::int64_t seqlen_q, std::int64_t seqlen_kv,
                          std::uint64_t seed);

// The block mask of a problem (its sparsity over its heads and sizes, seeded by p.seed), as every kernel
// and the reference of that problem see it; nullopt for a dense problem.
std::optional<BlockMask> problem_block_mask(const Problem& p);

// Why the mask for `s` cannot stand for the density it asks for at this size, or empty when it can:
// the nearest structure keeps more than twice or less than half the target density (a pattern keeps
// at least the diagonal block of every row, so e.g. local at 0.01 over 8 key blocks keeps 0.125).
// dense and causal-blocks take no density; random is judged by its floor of one block per row.
// A sweep refuses such a point rather than run it under a density it did not ask for.
std::string density_out_of_reach(const Sparsity& s, std::int64_t heads, std::int64_t seqlen_q, std::int64_t seqlen_kv,
                                 std::uint64_t seed);

// Number of (row, col) elements visible under mask and causal flag, over all heads (for exact
// effective FLOPs): returns the fraction of H * Nq * Nk.
double visible_element_fraction(const BlockMask* mask, bool causal, std::int64_t heads, std::int64_t seqlen_q,
                                std::int64_t seqlen_kv);

}  // namespace fa::ref
