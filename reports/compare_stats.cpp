#include "reports/compare_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <numeric>
#include <stdexcept>
#include <vector>

namespace fa {
namespace {

struct Ranked {
  // Twice the midrank of every value of the pooled sample, in input order (first, then second):
  // doubled so that midranks of ties, (first + last) / 2, stay integers for the exact counting.
  std::vector<std::int64_t> doubled_rank;
  double tie_term = 0;  // sum over groups of tied values of t^3 - t
};

Ranked rank_pooled(std::span<const double> first, std::span<const double> second) {
  const std::size_t n = first.size() + second.size();
  std::vector<double> values(first.begin(), first.end());
  values.insert(values.end(), second.begin(), second.end());
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return values[a] < values[b]; });
  Ranked r;
  r.doubled_rank.resize(n);
  for (std::size_t i = 0; i < n;) {
    std::size_t j = i;
    while (j + 1 < n && values[order[j + 1]] == values[order[i]]) ++j;
    // Positions i..j (0-based) hold ranks i+1..j+1; twice their mean is i + j + 2.
    const auto doubled = static_cast<std::int64_t>(i + j + 2);
    for (std::size_t k = i; k <= j; ++k) r.doubled_rank[order[k]] = doubled;
    const double t = static_cast<double>(j - i + 1);
    r.tie_term += t * t * t - t;
    i = j + 1;
  }
  return r;
}

// Exact permutation test on the rank sum of a group of size m drawn from the pooled ranks: every
// one of the C(N, m) ways to pick the group is equally likely under "no difference". Two-sided:
// the probability of a rank sum at least as far from its mean as the observed one.
void exact_p(const Ranked& ranked, std::size_t m, std::int64_t observed_doubled_sum, MannWhitney& out) {
  const std::size_t n = ranked.doubled_rank.size();
  std::int64_t max_sum = 0;
  for (std::int64_t r : ranked.doubled_rank) max_sum += r;
  // ways[k][s]: subsets of size k (of the ranks seen so far) whose doubled rank sum is s.
  std::vector<std::vector<double>> ways(m + 1, std::vector<double>(static_cast<std::size_t>(max_sum) + 1, 0.0));
  ways[0][0] = 1;
  for (std::size_t i = 0; i < n; ++i) {
    const auto r = static_cast<std::size_t>(ranked.doubled_rank[i]);
    for (std::size_t k = std::min(m, i + 1); k >= 1; --k) {
      const std::vector<double>& from = ways[k - 1];
      std::vector<double>& to = ways[k];
      for (std::size_t s = to.size(); s-- > r;) to[s] += from[s - r];
    }
  }
  const std::vector<double>& dist = ways[m];
  // Mean of the doubled rank sum: m * (N + 1); distances compared in integers, so no rounding.
  const auto mean = static_cast<std::int64_t>(m * (n + 1));
  const std::int64_t observed_distance = std::llabs(observed_doubled_sum - mean);
  double total = 0, extreme = 0, most_extreme = 0;
  std::int64_t max_distance = -1;
  for (std::size_t s = 0; s < dist.size(); ++s) {
    if (dist[s] == 0) continue;
    total += dist[s];
    const std::int64_t d = std::llabs(static_cast<std::int64_t>(s) - mean);
    if (d >= observed_distance) extreme += dist[s];
    if (d > max_distance) {
      max_distance = d;
      most_extreme = 0;
    }
    if (d == max_distance) most_extreme += dist[s];
  }
  out.p_value = std::min(1.0, extreme / total);
  out.min_attainable_p = std::min(1.0, most_extreme / total);
  out.exact = true;
}

void normal_p(const Ranked& ranked, double n1, double n2, MannWhitney& out) {
  const double n = n1 + n2;
  const double mean = n1 * n2 / 2;
  const double variance = n1 * n2 / 12 * ((n + 1) - ranked.tie_term / (n * (n - 1)));
  out.exact = false;
  if (!(variance > 0)) {  // every value tied: no evidence either way
    out.p_value = out.min_attainable_p = 1;
    return;
  }
  const double sd = std::sqrt(variance);
  // Continuity correction: U moves in steps of 1/2 (with ties) or 1, the normal curve does not.
  const double z = std::max(0.0, std::abs(out.u_first - mean) - 0.5) / sd;
  out.p_value = std::min(1.0, 2 * normal_upper_tail(z));
  out.min_attainable_p = std::min(1.0, 2 * normal_upper_tail(std::max(0.0, mean - 0.5) / sd));
}

// The continued fraction of the regularized incomplete beta function I_x(a, b), evaluated by the
// modified Lentz method; it converges fast for x < (a + 1) / (a + b + 2), where the caller uses it.
double beta_continued_fraction(double x, double a, double b) {
  constexpr double tiny = 1e-300, eps = 1e-15;
  auto guard = [&](double v) { return std::abs(v) < tiny ? tiny : v; };
  double c = 1, d = 1 / guard(1 - (a + b) * x / (a + 1)), f = d;
  for (int m = 1; m <= 500; ++m) {
    const double dm = m;
    // Even step: m (b - m) x / ((a + 2m - 1)(a + 2m)); odd step: -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1)).
    const double even = dm * (b - dm) * x / ((a + 2 * dm - 1) * (a + 2 * dm));
    d = 1 / guard(1 + even * d);
    c = guard(1 + even / c);
    f *= c * d;
    const double odd = -(a + dm) * (a + b + dm) * x / ((a + 2 * dm) * (a + 2 * dm + 1));
    d = 1 / guard(1 + odd * d);
    c = guard(1 + odd / c);
    const double step = c * d;
    f *= step;
    if (std::abs(step - 1) < eps) break;
  }
  return f;
}

// I_x(a, b) for x in [0, 1], a, b > 0.
double regularized_beta(double x, double a, double b) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double log_front = a * std::log(x) + b * std::log1p(-x) - (std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b));
  if (x < (a + 1) / (a + b + 2)) return std::exp(log_front) * beta_continued_fraction(x, a, b) / a;
  // The symmetry I_x(a, b) = 1 - I_{1-x}(b, a) keeps the fraction where it converges.
  return 1 - std::exp(log_front) * beta_continued_fraction(1 - x, b, a) / b;
}

}  // namespace

double normal_upper_tail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

double student_t_cdf(double t, double df) {
  if (!(df > 0) || std::isnan(t)) throw std::invalid_argument("Student t: df must be > 0 and t a number");
  if (std::isinf(t)) return t > 0 ? 1 : 0;
  // P(|T| > |t|) = I_{df / (df + t^2)}(df / 2, 1 / 2).
  const double tail = 0.5 * regularized_beta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

double student_t_quantile(double p, double df) {
  if (!(p > 0 && p < 1) || !(df > 0)) throw std::invalid_argument("Student t quantile: p in (0, 1) and df > 0");
  if (p < 0.5) return -student_t_quantile(1 - p, df);
  if (p == 0.5) return 0;
  // The CDF is increasing: bracket the quantile by doubling, then bisect to double precision.
  double lo = 0, hi = 1;
  while (student_t_cdf(hi, df) < p) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) return INFINITY;
  }
  for (int i = 0; i < 200 && hi - lo > 1e-13 * hi; ++i) {
    const double mid = (lo + hi) / 2;
    (student_t_cdf(mid, df) < p ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

MannWhitney mann_whitney_u(std::span<const double> first, std::span<const double> second) {
  if (first.empty() || second.empty()) throw std::invalid_argument("Mann-Whitney U: both samples need values");
  for (std::span<const double> s : {first, second}) {
    for (double v : s) {
      if (std::isnan(v)) throw std::invalid_argument("Mann-Whitney U: NaN in a sample");
    }
  }
  const Ranked ranked = rank_pooled(first, second);
  const std::size_t n1 = first.size(), n2 = second.size();
  std::int64_t doubled_sum_first = 0;
  for (std::size_t i = 0; i < n1; ++i) doubled_sum_first += ranked.doubled_rank[i];

  MannWhitney out;
  const double d1 = static_cast<double>(n1), d2 = static_cast<double>(n2);
  out.u_first = static_cast<double>(doubled_sum_first) / 2 - d1 * (d1 + 1) / 2;
  out.u_second = d1 * d2 - out.u_first;
  if (n1 + n2 <= kExactLimit) {
    // Count subsets of the smaller group: fewer of them, same test.
    if (n1 <= n2) {
      exact_p(ranked, n1, doubled_sum_first, out);
    } else {
      std::int64_t all = 0;
      for (std::int64_t r : ranked.doubled_rank) all += r;
      exact_p(ranked, n2, all - doubled_sum_first, out);
    }
  } else {
    normal_p(ranked, d1, d2, out);
  }
  return out;
}

}  // namespace fa
