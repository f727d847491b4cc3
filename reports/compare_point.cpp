#include "reports/compare_point.hpp"

#include <cmath>
#include <vector>

#include <fmt/core.h>

#include "core/time_stats.hpp"
#include "reports/compare_format.hpp"
#include "reports/compare_time.hpp"
#include "reports/markdown.hpp"

namespace fa {
namespace {

std::optional<ValueDelta> value_delta(std::optional<double> baseline, std::optional<double> current) {
  if (!baseline || !current || !std::isfinite(*baseline) || !std::isfinite(*current)) return std::nullopt;
  ValueDelta d{*baseline, *current, 0};
  if (*baseline != 0) d.change = *current / *baseline - 1;
  else if (*current != 0) d.change = *current > 0 ? INFINITY : -INFINITY;
  return d;
}

std::string check_text(const Row& r) {
  if (r.max_rel_error && r.tolerance) {
    return compare_error_text(r.max_rel_error) + " (tol " + compare_error_text(r.tolerance) + ")";
  }
  if (r.max_rel_error) return compare_error_text(r.max_rel_error);
  return r.check_note.empty() ? "not checked" : r.check_note;
}

// A check that ran and passed (not merely absent).
bool passed_check(const Row& r) {
  return !failed_check(r) && (r.max_rel_error.has_value() || r.check_note.rfind("pass", 0) == 0);
}

void gate_status_and_check(PointComparison& pc, const Row& b, const Row& c) {
  const bool b_ok = b.status == Status::ok, c_ok = c.status == Status::ok;
  if (b_ok != c_ok) {
    pc.findings.push_back(Finding{Metric::status, b_ok ? Direction::regression : Direction::improvement,
                                  std::string(to_string(b.status)), std::string(to_string(c.status)), std::nullopt,
                                  b_ok ? c.reason : std::string()});
  }
  if (failed_check(c) && !failed_check(b)) {
    pc.findings.push_back(Finding{Metric::correctness, Direction::regression, check_text(b), check_text(c), std::nullopt,
                                  c.check_note});
  } else if (failed_check(b) && passed_check(c)) {
    pc.findings.push_back(Finding{Metric::correctness, Direction::improvement, check_text(b), check_text(c),
                                  std::nullopt, c.check_note});
  }
}

void gate_time(PointComparison& pc, const TimeDelta& t) {
  if (!t.significant) return;
  // Clock-normalized, a change must show raw too: across machines a memory-bound point keeps its time
  // while the SM clock differs, and the normalization alone would call that a change (+3.5% normalized,
  // +0.6% raw between two H200s). A code change moves both.
  const bool normalized = t.reference_clock_mhz > 0;
  const bool slower = crosses_line(t.change, t.raw_change, t.regression_line, normalized);
  const bool faster = crosses_line(t.change, t.raw_change, -t.improvement_line, normalized);
  if (!slower && !faster) return;
  pc.findings.push_back(Finding{Metric::time, slower ? Direction::regression : Direction::improvement,
                                compare_ms_text(t.baseline_ms), compare_ms_text(t.current_ms), t.change,
                                time_evidence(t)});
}

// A change beyond `limit_fraction` (and at least `min_abs_delta` in absolute terms) either way.
void gate_value(PointComparison& pc, Metric metric, const std::optional<ValueDelta>& d, double limit_fraction,
                double min_abs_delta, std::string evidence) {
  if (!d) return;
  if (std::fabs(d->current - d->baseline) < min_abs_delta) return;
  if (!(d->change > limit_fraction) && !(d->change < -limit_fraction)) return;
  pc.findings.push_back(Finding{metric, d->change > limit_fraction ? Direction::regression : Direction::improvement,
                                compare_bytes_text(d->baseline), compare_bytes_text(d->current), d->change,
                                std::move(evidence)});
}

std::string value_text(const std::optional<ValueDelta>& d) {
  if (!d) return "not measured";
  return d->baseline == d->current ? compare_bytes_text(d->baseline) + " unchanged"
                                   : compare_bytes_text(d->baseline) + " -> " + compare_bytes_text(d->current);
}

// Tracked bytes (what the tracking allocators counted) exactly; the device-wide peak within one page
// of driver granularity. Each finding names the other figure too: a reader sees both.
void gate_memory(PointComparison& pc, const CompareOptions& o) {
  const std::string tracked_rule =
      o.mem_threshold_pct == 0 ? "tracked bytes, any change gated" : fmt::format("tracked bytes, threshold {}%", o.mem_threshold_pct);
  const std::string device_text = "device-wide peak " + value_text(pc.device_peak);
  gate_value(pc, Metric::io_bytes, pc.io_bytes, o.mem_threshold_pct / 100, 0, tracked_rule + "; " + device_text);
  gate_value(pc, Metric::scratch_peak, pc.scratch_peak, o.mem_threshold_pct / 100, 0, tracked_rule + "; " + device_text);
  const std::string tracked_text = "tracked operands " + value_text(pc.io_bytes) + ", scratch " + value_text(pc.scratch_peak);
  // Beyond the tolerance in bytes and beyond --mem-threshold percent.
  gate_value(pc, Metric::device_peak, pc.device_peak, o.mem_threshold_pct / 100, o.device_peak_tolerance_bytes + 1,
             fmt::format("device-wide, tolerance {} (allocation granularity); {}",
                         compare_bytes_text(o.device_peak_tolerance_bytes), tracked_text));
}

}  // namespace

std::optional<double> hbm_bytes(const Row& r) { return measured_hbm_bytes(r); }

std::optional<double> median_hbm_bytes(std::span<const Row* const> rows) {
  std::vector<double> v;
  for (const Row* r : rows) {
    if (auto b = hbm_bytes(*r)) v.push_back(*b);
  }
  if (v.empty()) return std::nullopt;
  return summarize(v).median_ms;  // unit-agnostic
}

PointComparison compare_point(const std::string& key, std::span<const Row* const> baseline_runs, const Row& c,
                              const CompareOptions& options) {
  const Row& b = *baseline_runs.back();
  PointComparison pc;
  pc.key = key;
  pc.baseline = b;
  pc.current = c;
  gate_status_and_check(pc, b, c);
  if (b.status == Status::ok && c.status == Status::ok) {
    RetestBasis basis;
    pc.time = compare_time(baseline_runs, c, options, basis);
    if (pc.time) gate_time(pc, *pc.time);
    // Counters vary a little between runs: the baseline's is the median over its runs.
    std::vector<const Row*> ok_runs;
    for (const Row* r : baseline_runs) {
      if (r->status == Status::ok) ok_runs.push_back(r);
    }
    basis.baseline_hbm_bytes = median_hbm_bytes(ok_runs);
    pc.hbm_bytes = value_delta(basis.baseline_hbm_bytes, hbm_bytes(c));
    gate_value(pc, Metric::hbm_bytes, pc.hbm_bytes, options.bytes_threshold_pct / 100, options.bytes_min_delta,
               fmt::format("threshold {}%", options.bytes_threshold_pct));
    pc.io_bytes = value_delta(b.mem_io_bytes, c.mem_io_bytes);
    pc.scratch_peak = value_delta(b.mem_scratch_peak_bytes, c.mem_scratch_peak_bytes);
    pc.device_peak = value_delta(b.mem_device_peak_bytes, c.mem_device_peak_bytes);
    gate_memory(pc, options);
    if (pc.regressed()) pc.retest = std::move(basis);
  }
  // Tested: the samples are no longer needed (a sweep may hold thousands per point); the pooled
  // baseline samples of a regressed point stay in `retest` for confirmation.
  for (Row* r : {&pc.baseline, &pc.current}) {
    r->samples_ms.clear();
    r->samples_clock_mhz.clear();
  }
  return pc;
}

}  // namespace fa
