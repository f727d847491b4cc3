#pragma once
// One matched point of `fa-bench compare`: every metric of reports/compare.hpp's rule judged, the
// findings made. compare_results() calls it for each point the two sides share.
#include <optional>
#include <span>
#include <string>

#include "core/result.hpp"
#include "reports/compare.hpp"

namespace fa {

// `baseline_runs`: the point's row in each baseline run that holds it, oldest first (at least one;
// the last is the one shown). The rows' samples are read, then left out of the result.
PointComparison compare_point(const std::string& key, std::span<const Row* const> baseline_runs, const Row& current,
                              const CompareOptions& options);

// HBM read + write bytes of a row, when its counters were read.
std::optional<double> hbm_bytes(const Row& r);

// The median over the rows that have counters, when any has.
std::optional<double> median_hbm_bytes(std::span<const Row* const> rows);

}  // namespace fa
