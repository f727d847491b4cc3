#pragma once
// Turns a SweepSpec into the list of points to run: the Cartesian product of its axes.
//
// Order (stable; outermost first): kernel, pass, dtype, head_dim, causal, dropout, heads, kv_heads,
// varlen, seqlen (query), seqlen_kv, batch, sparsity, density. Each axis keeps the order its values were given in,
// so a report lists, per kernel and pass, the sizes growing fastest in sequence length.
//
// Rules:
//  - sparsity and density multiply only kernels for which uses_block_mask(kernel) is true; every
//    other kernel gets exactly one dense point per combination of the remaining axes, whatever the
//    sparsity list holds. The "dense" and "causal-blocks" patterns have no density knob: one point
//    each, density 1, whatever the density list holds.
//  - seqlen_kv empty: each point's key length equals its query length; kv_heads empty: as many K/V
//    heads as query heads. A kv_heads value that does not divide a point's query heads drops that
//    combination (counted, with the reason); one that divides none of them is a UsageError.
//  - tokens set: batch = tokens / seqlen_q and the batch axis is ignored; hidden set:
//    heads = hidden / head_dim and the heads axis is ignored. A combination whose length does not
//    divide the total (or exceeds it) is skipped; every point it would have produced is counted in
//    dropped_by_constraints.
//  - varlen entries (core/varlen.hpp): "" gives the fixed-length points above; a distribution gives
//    one varlen point per batch value (uniform) or one with its list (fixed-list), layout bnhd
//    (packed), seqlen_q = seqlen_kv = its longest sequence, in place of the seqlen/seqlen_kv/batch
//    combinations. Without an "" entry, a given seqlen, seqlen-kv, tokens or non-bnhd layout is a
//    UsageError, and so is a given batch that differs from a fixed-list's count (check_varlen).
//  - no kernels: no points (the caller fills the kernel list).
//  - parts (SweepSpec::parts): the union of each part's expansion under these rules, in part order, a point
//    that two parts share once.
#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/problem.hpp"
#include "sweep/sweep_spec.hpp"

namespace fa {

// A sweep larger than this is a typo, not a benchmark: expand() refuses it with a UsageError.
inline constexpr std::size_t kMaxSweepPoints = 1000000;

struct Expansion {
  std::vector<Point> points;
  std::size_t dropped_by_constraints = 0;
  // One line per distinct reason points were dropped, e.g. "--tokens 16384: seqlen 32768 exceeds it",
  // for the caller to show the user.
  std::vector<std::string> drop_reasons;
};

// uses_block_mask may be empty, meaning no kernel uses a block mask.
Expansion expand(const SweepSpec& spec, const std::function<bool(std::string_view kernel)>& uses_block_mask);

}  // namespace fa
