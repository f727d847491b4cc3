#pragma once
// Confirm before failing. Between two processes a point's median can move by more than its samples'
// spread (clock state, memory placement): a single run that looks slower is evidence, not proof.
// `fa-bench run --baseline` therefore re-measures every point whose time or HBM bytes regressed, a few
// times, each time in a fresh process (fresh operands, placement and warm-up) and in a different order
// from the sweep's, and fails the point only when the re-measurements show the regression again:
//
//   time   the median of the re-measured medians is beyond the point's regression line (the same line
//          the first measurement crossed), and the re-measured samples pooled differ from the
//          baseline's (Mann-Whitney at --alpha)
//   bytes  the median of the re-measured HBM byte counts is beyond the bytes threshold
//
// Regressions of status, correctness and memory fail as they are: they do not come and go with the
// GPU's state. The judgement is on fresh measurements only (not the first one, which was picked for
// being extreme).
#include <cstddef>
#include <functional>
#include <vector>

#include "core/result.hpp"
#include "reports/compare.hpp"

namespace fa {

// Measures the points of one round afresh, in the order given, and returns one row per point in that
// order (a row with a non-ok status where a point could not be measured). `round` counts from 0. In
// `fa-bench run` each round is a fresh fa-bench process (cli/remeasure.hpp); in tests, a fake.
using RemeasureRound = std::function<std::vector<Row>(const std::vector<Point>& points, std::size_t round)>;

// Re-measures each point of `outcome` whose only regressions are of time or HBM bytes, `rounds` times:
// every such point once per round, round 1 in the reverse of the sweep's order, later rounds rotated.
// Findings the re-measurements do not reproduce move to PointComparison::dismissed; each re-measured
// point gets its Confirmation; outcome.confirm_rounds = rounds. Returns the rows of each round, for
// the record. rounds == 0 leaves the outcome as it is.
std::vector<std::vector<Row>> confirm_regressions(CompareOutcome& outcome, const RemeasureRound& remeasure,
                                                  std::size_t rounds);

}  // namespace fa
