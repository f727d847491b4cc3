#include "reports/compare_confirm.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/core.h>

#include "core/time_stats.hpp"
#include "reports/compare_format.hpp"
#include "reports/compare_point.hpp"
#include "reports/compare_time.hpp"

namespace fa {
namespace {

bool confirmable(const PointComparison& p) {
  if (!p.retest || !p.regressed()) return false;
  return std::all_of(p.findings.begin(), p.findings.end(), [](const Finding& f) {
    return f.direction != Direction::regression || f.metric == Metric::time || f.metric == Metric::hbm_bytes;
  });
}

std::string changes_text(const std::vector<double>& changes) {
  std::string s;
  for (double c : changes) s += (s.empty() ? "" : ", ") + compare_change_text(c);
  return s;
}

// Round r's order of the candidates: reversed first (the sweep's order is what the first measurement
// had), then rotated, so that no round repeats a point's neighbours.
std::vector<std::size_t> round_order(const std::vector<std::size_t>& candidates, std::size_t r) {
  std::vector<std::size_t> order = candidates;
  if (r % 2 == 0) std::reverse(order.begin(), order.end());
  if (!order.empty()) std::rotate(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(r / 2 % order.size()), order.end());
  return order;
}

// Re-tests the time finding; returns whether it stands, and says why in `why`.
bool retest_time_finding(PointComparison& p, const std::vector<Row>& rows, const CompareOptions& o,
                         Confirmation& c, std::string& why) {
  const TimeRetest t = retest_time(*p.time, *p.retest, rows, o);
  c.time_changes = t.changes;
  c.p_value = t.p_value;
  if (!t.median_change) {
    why += "time: " + t.note + ": the regression stands";
    return true;
  }
  why += fmt::format("time {} in {} re-measurements (first run {}): median {} {} the line {:.1f}%", changes_text(t.changes),
                     t.changes.size(), compare_change_text(p.time->change), compare_change_text(*t.median_change),
                     *t.median_change > p.time->regression_line ? "beyond" : "within", 100 * p.time->regression_line);
  const bool beyond = *t.median_change > p.time->regression_line;
  const bool noise = beyond && !t.significant;  // beyond the line, but the samples do not differ
  if (t.p_value) why += fmt::format("{} p = {}", noise ? ", but" : ",", compare_p_text(*t.p_value));
  if (noise) why += " (within the samples' noise)";
  if (!t.note.empty()) why += " (" + t.note + ")";
  why += t.reproduced ? ": regression confirmed" : ": not reproduced, the first run's shift passes";
  return t.reproduced;
}

bool retest_bytes_finding(const PointComparison& p, const std::vector<Row>& rows, const CompareOptions& o,
                          Confirmation& c, std::string& why) {
  const std::optional<double> base = p.retest->baseline_hbm_bytes;
  std::vector<double> changes;
  for (const Row& r : rows) {
    if (auto b = hbm_bytes(r); b && r.status == Status::ok && base && *base > 0) changes.push_back(*b / *base - 1);
  }
  c.bytes_changes = changes;
  if (!why.empty()) why += "; ";
  if (changes.empty()) {
    why += "HBM bytes: no re-measurement read the counters: the regression stands";
    return true;
  }
  const double median = summarize(changes).median_ms;  // unit-agnostic
  const bool stands = median > o.bytes_threshold_pct / 100 && std::fabs(median * *base) >= o.bytes_min_delta;
  why += fmt::format("HBM bytes {} in {} re-measurements: median {} {} the threshold {}%: {}", changes_text(changes),
                     changes.size(),
                     compare_change_text(median), stands ? "beyond" : "within", o.bytes_threshold_pct,
                     stands ? "regression confirmed" : "not reproduced");
  return stands;
}

void judge(PointComparison& p, const std::vector<Row>& rows, const CompareOptions& o) {
  Confirmation c;
  c.remeasured = static_cast<std::size_t>(
      std::count_if(rows.begin(), rows.end(), [](const Row& r) { return r.status == Status::ok; }));
  std::string why;
  std::vector<Finding> kept;
  for (Finding& f : p.findings) {
    bool stands = true;
    if (f.direction == Direction::regression && f.metric == Metric::time) stands = retest_time_finding(p, rows, o, c, why);
    if (f.direction == Direction::regression && f.metric == Metric::hbm_bytes) stands = retest_bytes_finding(p, rows, o, c, why);
    (stands ? kept : p.dismissed).push_back(std::move(f));
  }
  if (c.remeasured == 0 && !rows.empty()) {
    why += fmt::format(" (no re-measurement ran ok: {}: {})", to_string(rows.front().status), rows.front().reason);
  }
  p.findings = std::move(kept);
  c.reproduced = p.regressed();
  c.why = std::move(why);
  p.confirmation = std::move(c);
  p.retest.reset();
}

}  // namespace

std::vector<std::vector<Row>> confirm_regressions(CompareOutcome& outcome, const RemeasureRound& remeasure,
                                                  std::size_t rounds) {
  std::vector<std::vector<Row>> by_round;
  if (rounds == 0) return by_round;
  outcome.confirm_rounds = rounds;
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < outcome.points.size(); ++i) {
    if (confirmable(outcome.points[i])) candidates.push_back(i);
  }
  std::vector<std::vector<Row>> by_point(outcome.points.size());
  for (std::size_t r = 0; r < rounds && !candidates.empty(); ++r) {
    const std::vector<std::size_t> order = round_order(candidates, r);
    std::vector<Point> points;
    for (std::size_t i : order) points.push_back(outcome.points[i].current.point);
    std::vector<Row> rows = remeasure(points, r);
    if (rows.size() != points.size()) {
      throw std::logic_error(fmt::format("re-measurement round {} returned {} rows for {} points", r + 1, rows.size(),
                                         points.size()));
    }
    for (std::size_t k = 0; k < order.size(); ++k) by_point[order[k]].push_back(rows[k]);
    by_round.push_back(std::move(rows));
  }
  for (std::size_t i : candidates) judge(outcome.points[i], by_point[i], outcome.options);
  return by_round;
}

}  // namespace fa
