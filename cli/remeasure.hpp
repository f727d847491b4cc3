#pragma once
// How `fa-bench run --baseline` re-measures the points that look regressed (reports/compare_confirm.hpp).
// Each round runs in a fresh fa-bench process: whatever a process carries from one point to the next
// (memory placement, library handles and heuristics, the pool's layout) is drawn anew, so a shift that
// belonged to the first run's process does not come back, while slower code does. The child gets the
// round's points, in the order to measure them, as a results file (`run --points-from`), and the
// parent's measurement flags; it writes its results under OUT/confirm/round-N/ and its output to
// run.log there. Where fa-bench cannot start itself (the command line run inside the test binary), the
// rounds run in this process instead; the verdict says which.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "reports/compare_confirm.hpp"
#include "reports/metadata.hpp"

namespace fa::cli {

// This process's executable when it is fa-bench (/proc/self/exe named "fa-bench"), else empty.
std::filesystem::path own_executable();

// Rounds in child processes: `exe run --points-from DIR/round-N/points.json --out DIR/round-N ARGS...`.
// A child that does not finish (exit status other than 0 or 1) gives error rows naming its log.
RemeasureRound child_process_rounds(const std::filesystem::path& exe, std::vector<std::string> measure_args,
                                    const std::filesystem::path& dir);

// Rounds in this process, one `measure` call per point; each round's rows are written to
// DIR/round-N/results.json with `metadata`.
RemeasureRound in_process_rounds(std::function<Row(const Point&)> measure, const std::filesystem::path& dir,
                                 const RunMetadata& metadata);

// The points of a results file in its order (for --points-from). Throws UsageError naming the file.
std::vector<Point> points_from_file(const std::string& path);

}  // namespace fa::cli
