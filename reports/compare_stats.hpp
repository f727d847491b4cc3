#pragma once
// The significance tests behind `fa-bench compare`: is a timing difference between two runs real,
// or within the run-to-run noise?
//
// With samples (JSON results): the two-sided Mann–Whitney U test. It assumes nothing about the
// shape of the timing distribution (GPU timings are skewed, with outliers from clocks and other
// load), only that samples are independent. Small samples (n1 + n2 <= kExactLimit) use the exact
// permutation distribution of the rank sum, midranks included, so ties are handled exactly too;
// larger ones the normal approximation with tie correction and continuity correction.
// (Without samples, compare falls back to the medians' confidence intervals: reports/compare.cpp.)
#include <cstddef>
#include <span>

namespace fa {

struct MannWhitney {
  double u_first = 0;   // U of the first sample: pairs (x, y) with x > y, ties counting one half
  double u_second = 0;  // n1 * n2 - u_first
  double p_value = 1;   // two-sided
  // The smallest p-value any data of these sizes and ties could give: above alpha the test cannot
  // reject at all (e.g. 4 + 4 samples: 2/70 = 0.029), so a caller must not read "p > alpha" as
  // evidence of "no change".
  double min_attainable_p = 1;
  bool exact = false;  // exact permutation distribution (else normal approximation)
};

// Largest n1 + n2 for the exact distribution: C(50, 25) ~ 1.3e14 still counts exactly in a double.
inline constexpr std::size_t kExactLimit = 50;

// Both samples need at least one value (std::invalid_argument otherwise). NaNs are not allowed.
MannWhitney mann_whitney_u(std::span<const double> first, std::span<const double> second);

// Standard normal upper tail P(Z > z).
double normal_upper_tail(double z);

// Student's t distribution with `df` > 0 degrees of freedom (df need not be an integer): the CDF
// P(T <= t), and the quantile t with P(T <= t) = p for p in (0, 1). The noise allowance of
// reports/compare_noise.hpp uses the quantile for its prediction bound; std::invalid_argument
// for arguments outside these ranges.
double student_t_cdf(double t, double df);
double student_t_quantile(double p, double df);

}  // namespace fa
