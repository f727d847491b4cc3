#include "measure/stats.hpp"

#include <algorithm>

namespace fa {

std::string to_string(StopReason r) {
  switch (r) {
    case StopReason::none: return "none";
    case StopReason::noise_reached: return "noise";
    case StopReason::max_time: return "max-time";
    case StopReason::max_samples: return "max-samples";
  }
  return "?";
}

StopReason should_stop(const StoppingRule& rule, const std::vector<double>& samples_ms, double elapsed_s) {
  const auto n = static_cast<int>(samples_ms.size());
  if (n >= rule.max_samples) return StopReason::max_samples;
  if (n < rule.min_samples) return StopReason::none;
  // The noise estimate sorts all samples: re-evaluate it only every n/16 samples so the rule stays
  // O(n log n) overall even for microsecond kernels with thousands of samples.
  const int every = std::max(1, n / 16);
  if ((n - rule.min_samples) % every == 0 && median_relative_stderr(summarize(samples_ms)) <= rule.max_noise)
    return StopReason::noise_reached;
  if (elapsed_s >= rule.max_time_s) return StopReason::max_time;
  return StopReason::none;
}

}  // namespace fa
