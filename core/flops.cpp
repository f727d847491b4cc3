#include "core/flops.hpp"

#include <algorithm>

namespace fa {

double dense_forward_flops(const Problem& p) {
  return 4.0 * static_cast<double>(p.batch) * static_cast<double>(p.heads) * static_cast<double>(p.seqlen_q) *
         static_cast<double>(p.seqlen_kv) * static_cast<double>(p.head_dim);
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
  if (p.causal) {
    // Count visible (row, col) pairs of the bottom-right aligned causal mask exactly.
    const double nq = static_cast<double>(p.seqlen_q), nk = static_cast<double>(p.seqlen_kv);
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
    frac = visible / (nq * nk);
  }
  // Block masks and causality are treated as independent here; kernels with both report the
  // exact visible count through block_density computed on the combined mask.
  return frac * block_density;
}

double effective_flops(const Problem& p, Pass pass, double block_density) {
  return dense_forward_flops(p) * pass_multiplier(pass) * visible_fraction(p, block_density);
}

}  // namespace fa
