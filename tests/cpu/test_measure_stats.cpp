// Sample statistics and the stopping rule of measure/stats.hpp, on samples with known answers.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "measure/stats.hpp"

using fa::StoppingRule;
using fa::StopReason;

namespace {
std::vector<double> one_to(int n) {
  std::vector<double> v;
  for (int i = 1; i <= n; ++i) v.push_back(i);
  return v;
}
}  // namespace

TEST_CASE("summarize: median, mean, extremes, sample stddev and CV", "[measure][stats]") {
  const fa::TimeStats odd = fa::summarize({3.0, 1.0, 2.0});
  CHECK(odd.median_ms == 2.0);
  CHECK(odd.samples == 3);
  const fa::TimeStats s = fa::summarize({4.0, 1.0, 3.0, 2.0});  // unsorted on purpose
  CHECK(s.median_ms == Approx(2.5));
  CHECK(s.mean_ms == Approx(2.5));
  CHECK(s.min_ms == 1.0);
  CHECK(s.max_ms == 4.0);
  CHECK(s.stddev_ms == Approx(std::sqrt(5.0 / 3.0)));  // n - 1 in the denominator
  CHECK(s.cv == Approx(std::sqrt(5.0 / 3.0) / 2.5));
  CHECK(fa::summarize({}).samples == 0);
  CHECK(fa::summarize({7.0}).stddev_ms == 0.0);
}

TEST_CASE("summarize: 95% CI of the median from order statistics", "[measure][stats]") {
  // Fewer than 6 samples: the whole range.
  const fa::TimeStats small = fa::summarize({5.0, 1.0, 3.0});
  CHECK(small.ci_low_ms == 1.0);
  CHECK(small.ci_high_ms == 5.0);
  // n = 100: ranks floor(50 - 9.8) = 40 and ceil(51 + 9.8) = 61.
  const fa::TimeStats s = fa::summarize(one_to(100));
  CHECK(s.ci_low_ms == 40.0);
  CHECK(s.ci_high_ms == 61.0);
  // The interval always holds the median, and narrows as samples are added.
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> d(0.0, 0.2);
  std::vector<double> x;
  double width_at_20 = 0;
  for (int n = 1; n <= 400; ++n) {
    x.push_back(d(rng));
    const fa::TimeStats t = fa::summarize(x);
    REQUIRE(t.ci_low_ms <= t.median_ms);
    REQUIRE(t.median_ms <= t.ci_high_ms);
    if (n == 20) width_at_20 = t.ci_high_ms - t.ci_low_ms;
    if (n == 400) CHECK(t.ci_high_ms - t.ci_low_ms < 0.5 * width_at_20);
  }
}

TEST_CASE("median relative standard error from the CI", "[measure][stats]") {
  const fa::TimeStats s = fa::summarize(one_to(100));
  CHECK(fa::median_relative_stderr(s) == Approx((61.0 - 40.0) / (2 * 1.96) / 50.5));
  CHECK(std::isinf(fa::median_relative_stderr(fa::TimeStats{})));
}

TEST_CASE("stopping rule: min samples first, then noise, time budget, sample cap", "[measure][stats]") {
  StoppingRule rule;
  rule.min_samples = 10;
  rule.max_samples = 50;
  rule.max_noise = 0.005;
  rule.max_time_s = 0.5;
  const std::vector<double> steady(9, 1.0);
  // Below min_samples nothing stops, not even a spent time budget.
  CHECK(fa::should_stop(rule, steady, 100.0) == StopReason::none);
  // Identical samples: noise target met at min_samples.
  CHECK(fa::should_stop(rule, std::vector<double>(10, 1.0), 0.0) == StopReason::noise_reached);
  // Noisy samples go on until the time budget is spent.
  std::vector<double> noisy;
  for (int i = 0; i < 10; ++i) noisy.push_back(i % 2 ? 1.0 : 2.0);
  CHECK(fa::should_stop(rule, noisy, 0.1) == StopReason::none);
  CHECK(fa::should_stop(rule, noisy, 0.5) == StopReason::max_time);
  // The cap wins whatever the rest says.
  std::vector<double> many;
  for (int i = 0; i < 50; ++i) many.push_back(i % 2 ? 1.0 : 2.0);
  CHECK(fa::should_stop(rule, many, 0.0) == StopReason::max_samples);
  CHECK(fa::to_string(StopReason::max_time) == "max-time");
}
