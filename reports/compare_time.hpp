#pragma once
// The time comparison of one point (the rule: reports/compare.hpp), and the re-test of a point's
// re-measurements against the same baseline (reports/compare_confirm.hpp). Shared by the two so that
// a re-measurement is judged on exactly the scale and line the first measurement was.
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "reports/compare.hpp"

namespace fa {

// `baseline_runs`: the point's row in each baseline run that holds it, oldest first (only ok rows
// with a positive median count). Returns nullopt when either side has no usable time. Fills `basis`
// with the pooled baseline samples and the reference clock, for a later re-test.
std::optional<TimeDelta> compare_time(std::span<const Row* const> baseline_runs, const Row& current,
                                      const CompareOptions& options, RetestBasis& basis);

// Whether a slowdown (`line` > 0: change > line) or speed-up (`line` < 0: change < line) crosses the
// line: on the gated scale, and, when that scale is clock-normalized, on the raw scale too (a change
// the clock alone explains is not one). The one rule of the first look, the re-measurements and the
// verdict's labels.
bool crosses_line(double change, double raw_change, double line, bool normalized);

// The evidence of a time finding in one line: the samples' test, the line and what set it, the raw
// change, the clock ("p = 1.1e-05 (Mann-Whitney exact, n 20/20); line 3.0% (--threshold; noise 2.1%
// ...); raw +6.3%; clock-normalized to 1850 MHz").
std::string time_evidence(const TimeDelta& t);

struct TimeRetest {
  std::vector<double> changes;   // each usable re-measurement's median against the baseline
  std::optional<double> median_change;
  std::optional<double> p_value;  // Mann-Whitney, the re-measured samples pooled against the baseline's
  bool reproduced = false;        // median change beyond the regression line, and outside the samples' noise
  bool significant = true;        // the re-measured samples differ from the baseline's (or too few to test)
  bool raw_within = false;        // clock-normalized beyond the line, but the raw change within it
  std::string note;               // what limited the re-test, if anything
};

// Judges re-measured rows of a point whose first measurement `first` crossed its regression line.
TimeRetest retest_time(const TimeDelta& first, const RetestBasis& basis, std::span<const Row> remeasured,
                       const CompareOptions& options);

}  // namespace fa
