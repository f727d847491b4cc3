#include "reports/compare_json.hpp"

#include <algorithm>
#include <cmath>

#include "reports/json.hpp"
#include "reports/markdown.hpp"

namespace fa {
namespace {

using nlohmann::json;

json number(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  return x;
}

json optional_number(const std::optional<double>& x) { return x ? number(*x) : json(nullptr); }

json value_json(const std::optional<ValueDelta>& d) {
  if (!d) return nullptr;
  return {{"baseline", number(d->baseline)}, {"current", number(d->current)}, {"change_pct", number(d->change * 100)}};
}

json allowance_json(const NoiseAllowance& a) {
  return {{"baseline_runs", a.runs},
          {"reference_ms", number(a.reference_ms)},
          {"runs_spread_pct", number(std::expm1(a.runs_spread) * 100)},
          {"slower_pct", number(a.fraction * 100)},
          {"faster_pct", number(a.speedup_fraction * 100)},
          {"degrees_of_freedom", number(a.df)},
          {"text", a.text()}};
}

json time_json(const std::optional<TimeDelta>& t) {
  if (!t) return nullptr;
  return {{"baseline_median_ms", number(t->baseline_ms)},
          {"current_median_ms", number(t->current_ms)},
          {"change_pct", number(t->change * 100)},
          {"raw_baseline_median_ms", number(t->raw_baseline_ms)},
          {"raw_current_median_ms", number(t->raw_current_ms)},
          {"raw_change_pct", number(t->raw_change * 100)},
          {"clock_normalized_to_mhz", t->reference_clock_mhz > 0 ? number(t->reference_clock_mhz) : json(nullptr)},
          {"regression_line_pct", number(t->regression_line * 100)},
          {"improvement_line_pct", number(t->improvement_line * 100)},
          {"noise_allowance", allowance_json(t->allowance)},
          {"method", std::string(to_string(t->method))},
          {"p_value", optional_number(t->p_value)},
          {"baseline_samples", t->baseline_samples},
          {"current_samples", t->current_samples},
          {"significant", t->significant},
          {"note", t->note}};
}

json percents(const std::vector<double>& changes) {
  json out = json::array();
  for (double c : changes) out.push_back(number(c * 100));
  return out;
}

json confirmation_json(const std::optional<Confirmation>& c) {
  if (!c) return nullptr;
  return {{"remeasured", c->remeasured},
          {"time_changes_pct", percents(c->time_changes)},
          {"bytes_changes_pct", percents(c->bytes_changes)},
          {"p_value", optional_number(c->p_value)},
          {"reproduced", c->reproduced},
          {"why", c->why}};
}

json correctness_json(const Row& b, const Row& c) {
  return {{"baseline_error", optional_number(b.max_rel_error)},
          {"baseline_tolerance", optional_number(b.tolerance)},
          {"baseline_failed", failed_check(b)},
          {"current_error", optional_number(c.max_rel_error)},
          {"current_tolerance", optional_number(c.tolerance)},
          {"current_failed", failed_check(c)},
          {"current_note", c.check_note}};
}

json finding_json(const Finding& f) {
  return {{"metric", std::string(to_string(f.metric))},
          {"direction", f.direction == Direction::regression ? "regression" : "improvement"},
          {"baseline", f.baseline},
          {"current", f.current},
          {"change_pct", f.change ? number(*f.change * 100) : json(nullptr)},
          {"evidence", f.evidence},
          {"reason", f.reason()}};
}

json point_json(const PointComparison& p) {
  json reasons = json::array(), findings = json::array(), dismissed = json::array();
  for (const Finding& f : p.findings) {
    reasons.push_back(f.reason());
    findings.push_back(finding_json(f));
  }
  for (const Finding& f : p.dismissed) dismissed.push_back(finding_json(f));
  return {{"key", p.key},
          {"label", p.label},
          {"kernel", p.baseline.point.kernel},
          {"pass", std::string(to_string(p.baseline.point.pass))},
          {"verdict", p.regressed() ? "regression" : p.improved() ? "improvement" : "unchanged"},
          {"reasons", reasons},
          {"status", {{"baseline", std::string(to_string(p.baseline.status))},
                      {"current", std::string(to_string(p.current.status))},
                      {"current_reason", p.current.reason}}},
          {"time", time_json(p.time)},
          {"hbm_bytes", value_json(p.hbm_bytes)},
          {"mem_io_bytes", value_json(p.io_bytes)},
          {"mem_scratch_peak_bytes", value_json(p.scratch_peak)},
          {"mem_device_peak_bytes", value_json(p.device_peak)},
          {"correctness", correctness_json(p.baseline, p.current)},
          {"findings", findings},
          {"confirmation", confirmation_json(p.confirmation)},
          {"dismissed", dismissed}};
}

json unmatched_json(const std::vector<UnmatchedPoint>& points) {
  json out = json::array();
  for (const UnmatchedPoint& u : points) {
    out.push_back({{"key", u.key},
                   {"label", u.label},
                   {"kernel", u.row.point.kernel},
                   {"pass", std::string(to_string(u.row.point.pass))},
                   {"status", std::string(to_string(u.row.status))}});
  }
  return out;
}

}  // namespace

json compare_json(const CompareOutcome& o) {
  json points = json::array();
  for (const PointComparison& p : o.points) points.push_back(point_json(p));
  const CompareOptions& opt = o.options;
  return {{"schema", kCompareSchema},
          {"schema_version", kCompareSchemaVersion},
          {"verdict", o.failed() ? "fail" : "pass"},
          {"exit_code", o.exit_code()},
          {"options", {{"threshold_pct", opt.time_threshold_pct},
                       {"alpha", opt.alpha},
                       {"bytes_threshold_pct", opt.bytes_threshold_pct},
                       {"bytes_min_delta", opt.bytes_min_delta},
                       {"mem_threshold_pct", opt.mem_threshold_pct},
                       {"device_peak_tolerance_bytes", opt.device_peak_tolerance_bytes},
                       {"allow_device_mismatch", opt.allow_device_mismatch},
                       {"fail_on_missing", opt.fail_on_missing},
                       {"clock_normalize", !opt.raw_time},
                       {"noise_model", {{"relative_pct", opt.noise.relative * 100},
                                        {"absolute_ms", opt.noise.absolute_ms},
                                        {"prior_runs", opt.noise.prior_runs},
                                        {"level", opt.noise.level}}}}},
          {"evidence", {{"baseline_runs", o.baseline_runs},
                        {"current_runs", 1},
                        {"confirm_rounds", o.confirm_rounds},
                        {"confirm_method", o.confirm_method},
                        {"one_run_only", o.confirm_rounds == 0}}},
          {"baseline", {{"source", o.baseline_source},
                        {"runs", o.baseline_runs},
                        {"device", o.baseline_device},
                        {"metadata", metadata_to_json(o.baseline_metadata)}}},
          {"current", {{"source", o.current_source},
                       {"device", o.current_device},
                       {"metadata", metadata_to_json(o.current_metadata)}}},
          {"counts", {{"compared", o.points.size()},
                      {"regressions", o.regressed_points()},
                      {"improvements", o.improved_points()},
                      {"unchanged", o.unchanged_points()},
                      {"remeasured", std::count_if(o.points.begin(), o.points.end(),
                                                   [](const PointComparison& p) { return p.confirmation.has_value(); })},
                      {"dismissed", std::count_if(o.points.begin(), o.points.end(),
                                                  [](const PointComparison& p) { return !p.dismissed.empty(); })},
                      {"only_in_baseline", o.only_in_baseline.size()},
                      {"only_in_current", o.only_in_current.size()}}},
          {"points", points},
          {"only_in_baseline", unmatched_json(o.only_in_baseline)},
          {"only_in_current", unmatched_json(o.only_in_current)},
          {"notes", o.notes}};
}

std::string compare_json_text(const CompareOutcome& outcome) { return compare_json(outcome).dump(2) + "\n"; }

}  // namespace fa
