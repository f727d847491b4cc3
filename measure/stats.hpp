#pragma once
// Sample statistics and the stopping rule for timing a point.
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace fa {

// Median, mean, min, max, sample stddev, CV and a distribution-free 95% confidence interval of the
// median (order statistics with the normal approximation to the binomial; exact ranks for n >= 6,
// for smaller n the interval is [min, max]).
TimeStats summarize(const std::vector<double>& samples_ms);

// Relative standard error of the median, estimated from its 95% CI: (hi - lo) / (2 * 1.96) / median.
double median_relative_stderr(const TimeStats& s);

struct StoppingRule {
  int min_samples = 10;
  int max_samples = 10000;
  double max_noise = 0.005;  // target relative standard error of the median
  double max_time_s = 0.5;   // time budget per point (samples only, not warm-up)
};

enum class StopReason { none, noise_reached, max_time, max_samples };
std::string to_string(StopReason r);

// Decides after each sample. min_samples always comes first; then the first of: noise target met,
// time budget spent, sample cap reached.
StopReason should_stop(const StoppingRule& rule, const std::vector<double>& samples_ms, double elapsed_s);

}  // namespace fa
