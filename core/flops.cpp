#include "core/flops.hpp"

#include <algorithm>

namespace fa {

namespace {

// Score-matrix elements of the whole batch: B x Nq x Nk, or the sum of L^2 over a varlen batch's
// sequences (each attends to itself only).
double score_elements(const Problem& p) {
  if (!p.is_varlen()) return static_cast<double>(p.batch) * static_cast<double>(p.seqlen_q) * static_cast<double>(p.seqlen_kv);
  double n = 0;
  for (const std::int64_t l : p.seqlens) n += static_cast<double>(l) * static_cast<double>(l);
  return n;
}

// Visible (row, col) pairs of the bottom-right aligned causal mask of one Nq x Nk matrix, exactly.
double causal_visible_pairs(double nq, double nk) {
  const double off = nk - nq;  // row i sees cols [0, i + off]
  double visible = 0;
  // rows with i + off >= nk - 1 see everything; rows with i + off < 0 see nothing.
  const double first_full = std::max(0.0, nk - 1 - off);   // first row seeing all nk columns
  const double first_some = std::max(0.0, -off);           // first row seeing at least one column
  const double partial_end = std::min(nq, first_full);      // rows [first_some, partial_end) partial
  if (partial_end > first_some) {
    // sum_{i=a}^{b-1} (i + off + 1)
    const double a = first_some, b = partial_end;
    visible += (b - a) * (off + 1) + (a + b - 1) * (b - a) / 2.0;
  }
  if (nq > first_full) visible += (nq - first_full) * nk;
  return visible;
}

}  // namespace

double dense_forward_flops(const Problem& p) {
  return 4.0 * static_cast<double>(p.heads) * score_elements(p) * static_cast<double>(p.head_dim);
}

double pass_multiplier(Pass pass) {
  switch (pass) {
    case Pass::fwd: return 1.0;
    case Pass::bwd: return 2.5;
    case Pass::fwdbwd: return 3.5;
  }
  return 1.0;
}

double visible_fraction(const Problem& p, double block_density) {
  double frac = 1.0;
  if (p.causal && p.is_varlen()) {
    double visible = 0;  // per sequence, each square
    for (const std::int64_t l : p.seqlens) visible += causal_visible_pairs(static_cast<double>(l), static_cast<double>(l));
    frac = visible / score_elements(p);
  } else if (p.causal) {
    const double nq = static_cast<double>(p.seqlen_q), nk = static_cast<double>(p.seqlen_kv);
    frac = causal_visible_pairs(nq, nk) / (nq * nk);
  }
  // Block masks and causality are treated as independent here; kernels with both report the
  // exact visible count through block_density computed on the combined mask.
  return frac * block_density;
}

double effective_flops(const Problem& p, Pass pass, double block_density) {
  return dense_forward_flops(p) * pass_multiplier(pass) * visible_fraction(p, block_density);
}

}  // namespace fa
