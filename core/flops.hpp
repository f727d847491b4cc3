#pragma once
// FLOP convention (the FlashAttention benchmark's): forward = 4 * B * H * Nq * Nk * D (two
// matmuls of 2*Nq*Nk*D each); backward = 2.5 x forward (five matmuls, one of them a recompute for
// flash kernels counted as if absent, so kernels are compared on the same useful work);
// forward+backward = 3.5 x forward. Causal halves it (exactly: the visible fraction of the
// Nq x Nk matrix), block-sparse scales by the kept fraction: "effective" FLOPs count only the
// work that has to be done. A varlen batch sums all of it per sequence (sum of L^2 instead of
// B x Nq x Nk; the causal fraction is that of the per-sequence squares).
#include "core/problem.hpp"

namespace fa {

double dense_forward_flops(const Problem& p);
double pass_multiplier(Pass pass);
// Fraction of the Nq x Nk score matrix that is visible (causal and/or block mask), in [0, 1].
// block_density: fraction of kept elements under the block mask (1 when dense).
double visible_fraction(const Problem& p, double block_density);
double effective_flops(const Problem& p, Pass pass, double block_density);

}  // namespace fa
