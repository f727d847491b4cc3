#pragma once
// Test helper shared by the CPU and GPU tests: inputs that make an attention output spell out the
// dropout keep-mask, so a family's dropped elements can be compared one by one with the definition
// (fa::dropout_keep, core/philox.hpp) instead of through an error norm.
//
// With Q = 0 every score is 0, so P_ij = 1/Nk exactly (non-causal, no block mask). With Nk = 4D and
//   V[j][d] = 2^(j / D) if d == j % D, else 0,
// O[i][d] = sum_k keep(i, d + kD) 2^k / (Nk (1 - p_used)): a 4-bit number whose bits are the keep
// flags of columns d, d + D, d + 2D, d + 3D of row i. Likewise with Nq = 4D and
//   dO[i][d] = 2^(i / D) if d == i % D, else 0,
// dV = Pd^T dO gives dV[j][d] = sum_k keep(d + kD, j) 2^k / (Nk (1 - p_used)): the flags of column
// j in rows d, d + D, .... These values are exact in fp16 and bf16 at p = 0.5 and within a small
// fraction of a unit at other p, so every element of the B x H x Nq x Nk mask is checked.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "core/philox.hpp"
#include "core/problem.hpp"
#include "measure/operands.hpp"

namespace fa::testing {

inline constexpr std::int64_t kProbeBits = 4;  // Nq = Nk = 4 * head_dim

// The probe problem: B x H heads of Nq = Nk = 4D, non-causal, dense, dropout p, seed.
inline Problem dropout_probe_problem(std::int64_t b, std::int64_t h, std::int64_t d, DType dt, double p,
                                     std::uint64_t seed) {
  Problem pr;
  pr.batch = b, pr.heads = h, pr.seqlen_q = pr.seqlen_kv = kProbeBits * d, pr.head_dim = d;
  pr.dtype = dt, pr.dropout = p, pr.seed = seed;
  return pr;
}

// Q = 0, K random (any K gives zero scores), V and dO the one-hot powers of two described above.
inline HostInputs dropout_probe_inputs(const Problem& p) {
  HostInputs in = make_host_inputs(p, Pass::fwdbwd, 1.0, 1);
  std::fill(in.q.begin(), in.q.end(), 0.0);
  const std::int64_t d = p.head_dim;
  auto one_hot = [d](std::vector<double>& t, std::int64_t rows) {
    for (std::size_t e = 0; e < t.size(); ++e) {
      const std::int64_t row = static_cast<std::int64_t>(e) / d % rows, col = static_cast<std::int64_t>(e) % d;
      t[e] = col == row % d ? std::ldexp(1.0, static_cast<int>(row / d)) : 0.0;
    }
  };
  one_hot(in.v, p.seqlen_kv);
  one_hot(in.dout, p.seqlen_q);
  return in;
}

struct ProbeResult {
  std::int64_t checked = 0;      // keep flags compared
  std::int64_t mismatches = 0;   // flags that differ from fa::dropout_keep
  std::int64_t unreadable = 0;   // outputs that are not a 4-bit multiple of the unit (or NaN)
  std::string first;             // where the first problem was
};

// Decodes O (forward = true) or dV (forward = false), bhnd float64 as OperandSet::download gives,
// and compares every flag with the definition.
inline ProbeResult check_dropout_probe(const Problem& p, const std::vector<double>& out, bool forward) {
  ProbeResult r;
  const std::int64_t d = p.head_dim, n = p.seqlen_q;  // Nq = Nk = n = 4d
  const double unit = 1.0 / (static_cast<double>(p.seqlen_kv) * (1.0 - dropout_p_used(p.dropout)));
  const std::uint32_t t8 = dropout_threshold8(p.dropout);
  auto note = [&r](const std::string& what) {
    if (r.first.empty()) r.first = what;
  };
  for (std::int64_t bh = 0; bh < p.batch * p.heads; ++bh) {
    const auto b = static_cast<std::uint32_t>(bh / p.heads), h = static_cast<std::uint32_t>(bh % p.heads);
    for (std::int64_t row = 0; row < n; ++row) {
      for (std::int64_t c = 0; c < d; ++c) {
        const double x = out[static_cast<std::size_t>((bh * n + row) * d + c)] / unit;
        const double bits = std::nearbyint(x);
        std::ostringstream at;
        at << (forward ? "O" : "dV") << "[b" << b << " h" << h << " " << row << " " << c << "] = " << x << " units";
        if (!(std::fabs(x - bits) < 0.1 && bits >= 0 && bits < (1 << kProbeBits))) {
          ++r.unreadable;
          note(at.str());
          continue;
        }
        for (std::int64_t k = 0; k < kProbeBits; ++k) {
          // O row `row` carries columns c + kd; dV row `row` (a key) carries query rows c + kd.
          const auto i = static_cast<std::uint32_t>(forward ? row : c + k * d);
          const auto j = static_cast<std::uint32_t>(forward ? c + k * d : row);
          const bool got = (static_cast<std::int64_t>(bits) >> k) & 1;
          ++r.checked;
          if (got != dropout_keep(p.seed, t8, b, h, i, j)) {
            ++r.mismatches;
            note(at.str() + ": element (" + std::to_string(i) + ", " + std::to_string(j) + ")");
          }
        }
      }
    }
  }
  return r;
}

}  // namespace fa::testing
