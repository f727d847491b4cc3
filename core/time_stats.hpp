#pragma once
// Statistics of a point's timing samples: used where samples are taken (measure/) and where two result
// files are compared after re-expressing their samples (reports/compare, --clock-normalize).
#include <vector>

#include "core/result.hpp"

namespace fa {

// Median, mean, min, max, sample stddev, CV and a distribution-free 95% confidence interval of the
// median (order statistics with the normal approximation to the binomial; exact ranks for n >= 6,
// for smaller n the interval is [min, max]).
TimeStats summarize(const std::vector<double>& samples_ms);

// Relative standard error of the median, estimated from its 95% CI: (hi - lo) / (2 * 1.96) / median.
double median_relative_stderr(const TimeStats& s);

}  // namespace fa
