#include "reports/compare.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/core.h>

#include "core/errors.hpp"
#include "core/time_stats.hpp"
#include "reports/compare_format.hpp"
#include "reports/compare_stats.hpp"
#include "reports/markdown.hpp"

namespace fa {
namespace {

// ---- what each side says --------------------------------------------------------------------

std::string file_device(const ResultFile& file) {
  if (!file.metadata.device.empty()) return device_model(file.metadata.device);
  // CSV files carry no metadata: the rows name their device.
  std::set<std::string> devices;
  for (const Row& r : file.rows) {
    if (!r.device.empty()) devices.insert(device_model(r.device));
  }
  std::string joined;
  for (const std::string& d : devices) joined += (joined.empty() ? "" : ", ") + d;
  return joined;
}

std::optional<double> hbm_bytes(const Row& r) {
  if (!r.hbm_read_bytes || !r.hbm_write_bytes) return std::nullopt;
  return *r.hbm_read_bytes + *r.hbm_write_bytes;
}

bool has_ci(const Row& r) { return r.time.ci_low_ms > 0 && r.time.ci_high_ms >= r.time.ci_low_ms; }

std::vector<double> finite_samples(const Row& r) {
  std::vector<double> out;
  out.reserve(r.samples_ms.size());
  for (double x : r.samples_ms) {
    if (std::isfinite(x)) out.push_back(x);
  }
  return out;
}

std::optional<ValueDelta> value_delta(std::optional<double> baseline, std::optional<double> current) {
  if (!baseline || !current || !std::isfinite(*baseline) || !std::isfinite(*current)) return std::nullopt;
  ValueDelta d{*baseline, *current, 0};
  if (*baseline != 0) d.change = *current / *baseline - 1;
  else if (*current != 0) d.change = *current > 0 ? INFINITY : -INFINITY;
  return d;
}

// ---- time -----------------------------------------------------------------------------------

bool has_sample_clocks(const Row& r) {
  if (r.samples_ms.empty() || r.samples_clock_mhz.size() != r.samples_ms.size()) return false;
  return std::all_of(r.samples_clock_mhz.begin(), r.samples_clock_mhz.end(),
                     [](double c) { return std::isfinite(c) && c > 0; });
}

// --clock-normalize: both rows' samples re-expressed at the baseline's median sample clock, and their
// statistics recomputed. Returns the note that goes with the time comparison.
std::string clock_normalize(Row& b, Row& c) {
  if (!has_sample_clocks(b) || !has_sample_clocks(c)) return "not clock-normalized: no per-sample SM clocks";
  const double ref = summarize(b.samples_clock_mhz).median_ms;  // the median clock (summarize is unit-agnostic)
  for (Row* r : {&b, &c}) {
    for (std::size_t i = 0; i < r->samples_ms.size(); ++i) r->samples_ms[i] *= r->samples_clock_mhz[i] / ref;
    r->time = summarize(r->samples_ms);
  }
  return fmt::format("clock-normalized to {:.0f} MHz", ref);
}

std::optional<TimeDelta> compare_time(const Row& b, const Row& c, const CompareOptions& options) {
  const double mb = b.time.median_ms, mc = c.time.median_ms;
  if (!(mb > 0) || !(mc > 0) || !std::isfinite(mb) || !std::isfinite(mc)) return std::nullopt;
  TimeDelta t;
  t.baseline_ms = mb;
  t.current_ms = mc;
  t.change = mc / mb - 1;
  const std::vector<double> sb = finite_samples(b), sc = finite_samples(c);
  t.baseline_samples = sb.empty() ? static_cast<std::size_t>(std::max<std::int64_t>(0, b.time.samples)) : sb.size();
  t.current_samples = sc.empty() ? static_cast<std::size_t>(std::max<std::int64_t>(0, c.time.samples)) : sc.size();

  if (!sb.empty() && !sc.empty()) {
    const MannWhitney mw = mann_whitney_u(sb, sc);
    if (mw.min_attainable_p <= options.alpha) {
      t.method = mw.exact ? Significance::mann_whitney_exact : Significance::mann_whitney_normal;
      t.p_value = mw.p_value;
      t.significant = mw.p_value <= options.alpha;
      return t;
    }
    // Too few samples for the test to ever reject: "p > alpha" would say nothing about the change.
    t.note = fmt::format("{} + {} samples cannot reach p <= {} (smallest possible p {}): confidence intervals used",
                         sb.size(), sc.size(), options.alpha, compare_p_text(mw.min_attainable_p));
  } else {
    t.note = "no samples (CSV input or not recorded): confidence intervals used";
  }

  if (has_ci(b) || has_ci(c)) {
    // A side without an interval counts as its median alone.
    const double b_lo = has_ci(b) ? b.time.ci_low_ms : mb, b_hi = has_ci(b) ? b.time.ci_high_ms : mb;
    const double c_lo = has_ci(c) ? c.time.ci_low_ms : mc, c_hi = has_ci(c) ? c.time.ci_high_ms : mc;
    t.method = Significance::confidence_intervals;
    t.significant = c_lo > b_hi || c_hi < b_lo;
  } else {
    t.method = Significance::threshold_only;
    t.significant = true;
    t.note += "; no confidence intervals either: threshold only";
  }
  return t;
}

std::string time_evidence(const TimeDelta& t, const Row& b, const Row& c) {
  switch (t.method) {
    case Significance::mann_whitney_exact:
    case Significance::mann_whitney_normal:
      return fmt::format("p = {} (Mann-Whitney {}, n {}/{})", compare_p_text(t.p_value.value_or(1)),
                         t.method == Significance::mann_whitney_exact ? "exact" : "normal", t.baseline_samples,
                         t.current_samples);
    case Significance::confidence_intervals:
      return fmt::format("95% CIs {}-{} vs {}-{} apart", compare_ms_text(b.time.ci_low_ms),
                         compare_ms_text(b.time.ci_high_ms), compare_ms_text(c.time.ci_low_ms),
                         compare_ms_text(c.time.ci_high_ms));
    case Significance::threshold_only:
      return "threshold only (no samples, no CIs)";
  }
  return {};
}

// ---- one point ------------------------------------------------------------------------------

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

void gate_value(PointComparison& pc, Metric metric, const std::optional<ValueDelta>& d, double threshold_pct,
                double min_abs_delta = 0) {
  if (!d) return;
  if (std::fabs(d->current - d->baseline) < min_abs_delta) return;
  const double limit = threshold_pct / 100;
  if (!(d->change > limit) && !(d->change < -limit)) return;
  pc.findings.push_back(Finding{metric, d->change > limit ? Direction::regression : Direction::improvement,
                                compare_bytes_text(d->baseline), compare_bytes_text(d->current), d->change,
                                threshold_pct == 0 ? std::string("any change gated")
                                                   : fmt::format("threshold {}%", threshold_pct)});
}

PointComparison compare_point(const std::string& key, const Row& b, const Row& c, const CompareOptions& options) {
  PointComparison pc;
  pc.key = key;
  pc.baseline = b;
  pc.current = c;
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
  if (b_ok && c_ok) {
    Row tb = b, tc = c;  // the rows whose samples the time comparison reads
    const std::string clock_note = options.clock_normalize ? clock_normalize(tb, tc) : "";
    pc.time = compare_time(tb, tc, options);
    if (pc.time && !clock_note.empty()) pc.time->note += (pc.time->note.empty() ? "" : "; ") + clock_note;
    if (pc.time && pc.time->significant) {
      const double limit = options.time_threshold_pct / 100;
      if (pc.time->change > limit || pc.time->change < -limit) {
        std::string evidence = time_evidence(*pc.time, tb, tc);
        if (!clock_note.empty()) evidence += "; " + clock_note;
        pc.findings.push_back(Finding{Metric::time, pc.time->change > limit ? Direction::regression : Direction::improvement,
                                      compare_ms_text(pc.time->baseline_ms), compare_ms_text(pc.time->current_ms),
                                      pc.time->change, std::move(evidence)});
      }
    }
    pc.hbm_bytes = value_delta(hbm_bytes(b), hbm_bytes(c));
    pc.scratch_peak = value_delta(b.mem_scratch_peak_bytes, c.mem_scratch_peak_bytes);
    pc.device_peak = value_delta(b.mem_device_peak_bytes, c.mem_device_peak_bytes);
    gate_value(pc, Metric::hbm_bytes, pc.hbm_bytes, options.bytes_threshold_pct, options.bytes_min_delta);
    gate_value(pc, Metric::scratch_peak, pc.scratch_peak, options.mem_threshold_pct);
    gate_value(pc, Metric::device_peak, pc.device_peak, options.mem_threshold_pct);
  }
  // Tested: the samples are no longer needed, and a sweep may hold thousands per point.
  pc.baseline.samples_ms.clear();
  pc.current.samples_ms.clear();
  pc.baseline.samples_clock_mhz.clear();
  pc.current.samples_clock_mhz.clear();
  return pc;
}

// ---- files ----------------------------------------------------------------------------------

std::unordered_map<std::string, std::size_t> index_rows(const std::vector<Row>& rows, const std::string& source) {
  std::unordered_map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string key = point_key(rows[i].point);
    if (!index.emplace(key, i).second) {
      throw UsageError(source + ": point " + point_label(rows[i].point) + " appears twice (rows " +
                       std::to_string(index[key] + 1) + " and " + std::to_string(i + 1) + "): not one fa-bench run");
    }
  }
  return index;
}

// Labels are short but leave out some axes (scale, seed, block sizes): where two points share
// one, the full key tells them apart.
void assign_labels(CompareOutcome& out) {
  std::map<std::string, int> uses;
  for (const PointComparison& p : out.points) ++uses[point_label(p.baseline.point)];
  for (const UnmatchedPoint& u : out.only_in_baseline) ++uses[point_label(u.row.point)];
  for (const UnmatchedPoint& u : out.only_in_current) ++uses[point_label(u.row.point)];
  auto label = [&](const Point& pt, const std::string& key) {
    std::string l = point_label(pt);
    return uses[l] > 1 ? key : l;
  };
  for (PointComparison& p : out.points) p.label = label(p.baseline.point, p.key);
  for (UnmatchedPoint& u : out.only_in_baseline) u.label = label(u.row.point, u.key);
  for (UnmatchedPoint& u : out.only_in_current) u.label = label(u.row.point, u.key);
}

void add_metadata_notes(CompareOutcome& out) {
  const RunMetadata& b = out.baseline_metadata;
  const RunMetadata& c = out.current_metadata;
  if (out.options.clock_normalize) {
    out.notes.push_back("times clock-normalized (--clock-normalize): every sample scaled by its SM clock over the "
                        "baseline's median sample clock of its point");
  }
  if (!b.timing_mode.empty() && !c.timing_mode.empty() && b.timing_mode != c.timing_mode) {
    out.notes.push_back("timing modes differ (baseline " + b.timing_mode + ", current " + c.timing_mode +
                        "): cold- and hot-cache times are not comparable");
  }
  for (const auto& [side, m] : {std::pair{"baseline", &b}, std::pair{"current", &c}}) {
    if (m->build_type == "Debug") out.notes.push_back(std::string(side) + " is a Debug build: its timings mean little");
  }
}

}  // namespace

void validate(const CompareOptions& o) {
  auto check = [](double v, bool ok, const char* flag, const char* accepted) {
    if (!ok || !std::isfinite(v)) throw bad_value(flag, fmt::format("{}", v), accepted);
  };
  check(o.time_threshold_pct, o.time_threshold_pct >= 0, "--threshold", "a percentage >= 0, e.g. 5");
  check(o.alpha, o.alpha > 0 && o.alpha < 1, "--alpha", "a probability in (0, 1), e.g. 0.01");
  check(o.bytes_threshold_pct, o.bytes_threshold_pct >= 0, "--bytes-threshold", "a percentage >= 0, e.g. 10");
  check(o.bytes_min_delta, o.bytes_min_delta >= 0, "--bytes-min-delta", "a byte count >= 0, e.g. 1048576");
  check(o.mem_threshold_pct, o.mem_threshold_pct >= 0, "--mem-threshold", "a percentage >= 0; 0 = any increase");
}

std::string_view to_string(Metric m) {
  switch (m) {
    case Metric::status: return "status";
    case Metric::correctness: return "correctness";
    case Metric::time: return "time";
    case Metric::hbm_bytes: return "hbm_bytes";
    case Metric::scratch_peak: return "mem_scratch_peak_bytes";
    case Metric::device_peak: return "mem_device_peak_bytes";
  }
  return "?";
}

std::string_view to_string(Significance s) {
  switch (s) {
    case Significance::mann_whitney_exact: return "mann-whitney-exact";
    case Significance::mann_whitney_normal: return "mann-whitney-normal";
    case Significance::confidence_intervals: return "ci-overlap";
    case Significance::threshold_only: return "threshold-only";
  }
  return "?";
}

std::string Finding::reason() const {
  std::string s(to_string(metric));
  if (change) s += " " + compare_change_text(*change);
  s += ": " + baseline + " -> " + current;
  if (!evidence.empty()) s += ", " + evidence;
  return s;
}

bool PointComparison::regressed() const {
  return std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.direction == Direction::regression; });
}

bool PointComparison::improved() const {
  return !regressed() &&
         std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.direction == Direction::improvement; });
}

bool PointComparison::time_within_noise(const CompareOptions& options) const {
  return time && !time->significant && std::abs(time->change) > options.time_threshold_pct / 100;
}

std::size_t CompareOutcome::regressed_points() const {
  return static_cast<std::size_t>(std::count_if(points.begin(), points.end(), [](const auto& p) { return p.regressed(); }));
}

std::size_t CompareOutcome::improved_points() const {
  return static_cast<std::size_t>(std::count_if(points.begin(), points.end(), [](const auto& p) { return p.improved(); }));
}

std::size_t CompareOutcome::unchanged_points() const {
  return static_cast<std::size_t>(
      std::count_if(points.begin(), points.end(), [](const auto& p) { return p.findings.empty(); }));
}

bool CompareOutcome::failed() const {
  return regressed_points() > 0 || (options.fail_on_missing && !only_in_baseline.empty());
}

std::string device_model(std::string_view device) {
  const auto first = device.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  device = device.substr(first, device.find_last_not_of(" \t\r\n") - first + 1);
  if (device.rfind("cpu (", 0) == 0) return "cpu";
  return std::string(device);
}

CompareOutcome compare_results(const ResultFile& baseline, const ResultFile& current, const CompareOptions& options,
                               const std::string& baseline_source, const std::string& current_source) {
  validate(options);
  CompareOutcome out;
  out.options = options;
  out.baseline_source = baseline_source;
  out.current_source = current_source;
  out.baseline_metadata = baseline.metadata;
  out.current_metadata = current.metadata;
  out.baseline_device = file_device(baseline);
  out.current_device = file_device(current);

  if (!out.baseline_device.empty() && !out.current_device.empty() && out.baseline_device != out.current_device) {
    if (!options.allow_device_mismatch) {
      throw UsageError(fmt::format("{} ran on '{}' but {} on '{}': timings of different devices are not comparable "
                                   "(--allow-device-mismatch compares them anyway)",
                                   baseline_source, out.baseline_device, current_source, out.current_device));
    }
    out.notes.push_back(fmt::format("devices differ ('{}' vs '{}'): compared because of --allow-device-mismatch",
                                    out.baseline_device, out.current_device));
  }
  for (const auto& [source, device] : {std::pair{&baseline_source, &out.baseline_device},
                                       std::pair{&current_source, &out.current_device}}) {
    if (device->empty()) out.notes.push_back(*source + " names no device: the devices were not checked");
  }
  add_metadata_notes(out);

  const auto baseline_index = index_rows(baseline.rows, baseline_source);
  const auto current_index = index_rows(current.rows, current_source);
  for (const Row& b : baseline.rows) {
    const std::string key = point_key(b.point);
    const auto it = current_index.find(key);
    if (it == current_index.end()) {
      out.only_in_baseline.push_back(UnmatchedPoint{key, {}, b});
      out.only_in_baseline.back().row.samples_ms.clear();
    } else {
      out.points.push_back(compare_point(key, b, current.rows[it->second], options));
    }
  }
  for (const Row& c : current.rows) {
    const std::string key = point_key(c.point);
    if (!baseline_index.contains(key)) {
      out.only_in_current.push_back(UnmatchedPoint{key, {}, c});
      out.only_in_current.back().row.samples_ms.clear();
    }
  }
  if (out.points.empty() && (!baseline.rows.empty() || !current.rows.empty())) {
    throw UsageError(fmt::format("{} ({} rows) and {} ({} rows) have no point in common: not the same sweep",
                                 baseline_source, baseline.rows.size(), current_source, current.rows.size()));
  }
  if (baseline.rows.empty() && current.rows.empty()) out.notes.push_back("both files hold no rows: nothing compared");
  assign_labels(out);
  return out;
}

CompareOutcome compare_files(const std::string& baseline_path, const std::string& current_path,
                             const CompareOptions& options) {
  auto read = [](const std::string& path, const char* role) {
    if (path.empty()) throw UsageError(std::string(role) + ": no file given");
    try {
      return read_results(path);
    } catch (const UsageError& e) {
      throw UsageError(std::string(role) + " " + e.what());
    }
  };
  const ResultFile baseline = read(baseline_path, "BASELINE");
  const ResultFile current = read(current_path, "CURRENT");
  return compare_results(baseline, current, options, baseline_path, current_path);
}

}  // namespace fa
