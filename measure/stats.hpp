#pragma once
// The stopping rule for timing a point (the statistics themselves: core/time_stats.hpp).
#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time_stats.hpp"

namespace fa {

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
