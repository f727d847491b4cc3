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

}  // namespace

double normal_upper_tail(double z) { return 0.5 * std::erfc(z / std::sqrt(2.0)); }

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
