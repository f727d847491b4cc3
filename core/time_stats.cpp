#include "core/time_stats.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

namespace fa {

TimeStats summarize(const std::vector<double>& samples_ms) {
  TimeStats s;
  const std::size_t n = samples_ms.size();
  s.samples = static_cast<std::int64_t>(n);
  if (n == 0) return s;
  std::vector<double> x = samples_ms;
  std::sort(x.begin(), x.end());
  s.min_ms = x.front();
  s.max_ms = x.back();
  s.median_ms = n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
  s.mean_ms = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(n);
  double ss = 0;
  for (double v : x) ss += (v - s.mean_ms) * (v - s.mean_ms);
  s.stddev_ms = n > 1 ? std::sqrt(ss / static_cast<double>(n - 1)) : 0.0;
  s.cv = s.mean_ms > 0 ? s.stddev_ms / s.mean_ms : 0.0;
  if (n < 6) {
    s.ci_low_ms = s.min_ms;
    s.ci_high_ms = s.max_ms;
  } else {
    // Ranks (1-based) j = n/2 - 1.96 sqrt(n)/2 and k = 1 + n/2 + 1.96 sqrt(n)/2.
    const double half = 1.96 * std::sqrt(static_cast<double>(n)) / 2.0;
    auto lo = static_cast<std::int64_t>(std::floor(static_cast<double>(n) / 2.0 - half));
    auto hi = static_cast<std::int64_t>(std::ceil(1.0 + static_cast<double>(n) / 2.0 + half));
    lo = std::clamp<std::int64_t>(lo, 1, static_cast<std::int64_t>(n));
    hi = std::clamp<std::int64_t>(hi, 1, static_cast<std::int64_t>(n));
    s.ci_low_ms = x[static_cast<std::size_t>(lo - 1)];
    s.ci_high_ms = x[static_cast<std::size_t>(hi - 1)];
  }
  return s;
}

double median_relative_stderr(const TimeStats& s) {
  if (s.median_ms <= 0) return INFINITY;
  return (s.ci_high_ms - s.ci_low_ms) / (2.0 * 1.96) / s.median_ms;
}

}  // namespace fa
