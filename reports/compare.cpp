#include "reports/compare.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <unordered_map>

#include <fmt/core.h>

#include "core/errors.hpp"
#include "reports/baseline_store.hpp"
#include "reports/compare_format.hpp"
#include "reports/compare_point.hpp"
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

void add_metadata_notes(CompareOutcome& out, const std::vector<ResultFile>& baseline) {
  const RunMetadata& b = out.baseline_metadata;
  const RunMetadata& c = out.current_metadata;
  if (!b.timing_mode.empty() && !c.timing_mode.empty() && b.timing_mode != c.timing_mode) {
    out.notes.push_back("timing modes differ (baseline " + b.timing_mode + ", current " + c.timing_mode +
                        "): cold- and hot-cache times are not comparable");
  }
  for (const auto& [side, m] : {std::pair{"baseline", &b}, std::pair{"current", &c}}) {
    if (m->build_type == "Debug") out.notes.push_back(std::string(side) + " is a Debug build: its timings mean little");
  }
  std::set<std::string> commits;
  for (const ResultFile& f : baseline) commits.insert(f.metadata.git_commit);
  if (commits.size() > 1) {
    out.notes.push_back(fmt::format("the {} baseline runs come from {} different commits: their spread is partly code "
                                    "changes, which widens the noise allowance",
                                    baseline.size(), commits.size()));
  }
  for (const auto& [side, m] : {std::pair{"baseline", &b}, std::pair{"current", &c}}) {
    if (auto it = m->extra.find(std::string(kFaultInjectionMetadataKey)); it != m->extra.end()) {
      out.notes.push_back(std::string(side) + " was measured with the TEST-ONLY fault injection on (" + it->second +
                          "): its timings are deliberately slowed, not the code's");
    }
  }
}

// How the times were put on one scale (after the points are compared: it counts them).
void add_clock_note(CompareOutcome& out) {
  std::size_t timed = 0, normalized = 0;
  for (const PointComparison& p : out.points) {
    if (!p.time) continue;
    ++timed;
    if (p.time->reference_clock_mhz > 0) ++normalized;
  }
  if (timed == 0) return;
  if (out.options.raw_time) {
    out.notes.push_back("times compared as measured (--raw-time): not clock-normalized");
  } else if (normalized == 0) {
    out.notes.push_back("times compared as measured: no point has per-sample SM clocks on both sides (CSV input, host "
                        "kernels or older files), so none was clock-normalized");
  } else {
    out.notes.push_back(fmt::format("times of {} of {} points clock-normalized: every sample scaled by its SM clock over "
                                    "the baseline's median sample clock of its point (raw changes shown beside; the "
                                    "others lack per-sample clocks; --raw-time gates on raw times)",
                                    normalized, timed));
  }
}

// Every baseline run must be of the same device as the others (a baseline is per GPU model).
std::string baseline_device(const std::vector<ResultFile>& runs, const std::string& source) {
  std::string device;
  for (const ResultFile& f : runs) {
    const std::string d = file_device(f);
    if (d.empty()) continue;
    if (!device.empty() && d != device) {
      throw UsageError(fmt::format("{}: its runs were measured on different devices ('{}' and '{}'): a baseline "
                                   "belongs to one GPU model",
                                   source, device, d));
    }
    device = d;
  }
  return device;
}

void check_devices(CompareOutcome& out) {
  if (!out.baseline_device.empty() && !out.current_device.empty() && out.baseline_device != out.current_device) {
    if (!out.options.allow_device_mismatch) {
      throw UsageError(fmt::format("{} ran on '{}' but {} on '{}': timings of different devices are not comparable "
                                   "(--allow-device-mismatch compares them anyway)",
                                   out.baseline_source, out.baseline_device, out.current_source, out.current_device));
    }
    out.notes.push_back(fmt::format("devices differ ('{}' vs '{}'): compared because of --allow-device-mismatch",
                                    out.baseline_device, out.current_device));
  }
  for (const auto& [source, device] : {std::pair{&out.baseline_source, &out.baseline_device},
                                       std::pair{&out.current_source, &out.current_device}}) {
    if (device->empty()) out.notes.push_back(*source + " names no device: the devices were not checked");
  }
}

// The baseline points in the order they were first seen (the runs' order), each with its row in
// every run that holds it.
struct BaselinePoint {
  std::string key;
  std::vector<const Row*> runs;
};

std::vector<BaselinePoint> baseline_points(const std::vector<ResultFile>& runs, const std::string& source) {
  std::vector<BaselinePoint> points;
  std::unordered_map<std::string, std::size_t> where;
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const std::string run_source = runs.size() == 1 ? source : fmt::format("{} (run {})", source, k + 1);
    (void)index_rows(runs[k].rows, run_source);  // a point twice in one run is not one fa-bench run
    for (const Row& r : runs[k].rows) {
      std::string key = point_key(r.point);
      auto [it, fresh] = where.emplace(key, points.size());
      if (fresh) points.push_back(BaselinePoint{std::move(key), {}});
      points[it->second].runs.push_back(&r);
    }
  }
  return points;
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
  check(o.device_peak_tolerance_bytes, o.device_peak_tolerance_bytes >= 0, "--device-peak-tolerance",
        "a byte count >= 0, e.g. 2097152 (one 2 MiB page)");
}

std::string_view to_string(Metric m) {
  switch (m) {
    case Metric::status: return "status";
    case Metric::correctness: return "correctness";
    case Metric::time: return "time";
    case Metric::hbm_bytes: return "hbm_bytes";
    case Metric::io_bytes: return "mem_io_bytes";
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
  if (change) {
    s += ' ';  // appended, not " " + text: GCC 12 warns falsely (-Wrestrict) on that
    s += compare_change_text(*change);
  }
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
  if (!time || std::abs(time->change) <= options.time_threshold_pct / 100) return false;
  const bool gated = std::any_of(findings.begin(), findings.end(), [](const Finding& f) { return f.metric == Metric::time; });
  return !gated;
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

CompareOutcome compare_results(const std::vector<ResultFile>& baseline, const ResultFile& current,
                               const CompareOptions& options, const std::string& baseline_source,
                               const std::string& current_source) {
  validate(options);
  if (baseline.empty()) throw UsageError(baseline_source + ": no baseline run to compare against");
  CompareOutcome out;
  out.options = options;
  out.baseline_source = baseline_source;
  out.current_source = current_source;
  out.baseline_runs = baseline.size();
  out.baseline_metadata = baseline.back().metadata;
  out.current_metadata = current.metadata;
  out.baseline_device = baseline_device(baseline, baseline_source);
  out.current_device = file_device(current);
  check_devices(out);
  add_metadata_notes(out, baseline);

  const std::vector<BaselinePoint> points = baseline_points(baseline, baseline_source);
  const auto current_index = index_rows(current.rows, current_source);
  std::set<std::string> in_baseline;
  std::size_t baseline_rows = 0;
  for (const BaselinePoint& bp : points) {
    in_baseline.insert(bp.key);
    baseline_rows += bp.runs.size();
    const auto it = current_index.find(bp.key);
    if (it == current_index.end()) {
      out.only_in_baseline.push_back(UnmatchedPoint{bp.key, {}, *bp.runs.back()});
      out.only_in_baseline.back().row.samples_ms.clear();
    } else {
      out.points.push_back(compare_point(bp.key, bp.runs, current.rows[it->second], options));
    }
  }
  for (const Row& c : current.rows) {
    const std::string key = point_key(c.point);
    if (!in_baseline.contains(key)) {
      out.only_in_current.push_back(UnmatchedPoint{key, {}, c});
      out.only_in_current.back().row.samples_ms.clear();
    }
  }
  if (out.points.empty() && (baseline_rows > 0 || !current.rows.empty())) {
    throw UsageError(fmt::format("{} ({} rows) and {} ({} rows) have no point in common: not the same sweep",
                                 baseline_source, baseline_rows, current_source, current.rows.size()));
  }
  if (baseline_rows == 0 && current.rows.empty()) out.notes.push_back("both files hold no rows: nothing compared");
  add_clock_note(out);
  assign_labels(out);
  return out;
}

CompareOutcome compare_results(const ResultFile& baseline, const ResultFile& current, const CompareOptions& options,
                               const std::string& baseline_source, const std::string& current_source) {
  return compare_results(std::vector<ResultFile>{baseline}, current, options, baseline_source, current_source);
}

CompareOutcome compare_files(const std::vector<std::string>& baseline_paths, const std::string& current_path,
                             const CompareOptions& options) {
  if (baseline_paths.empty()) throw UsageError("BASELINE: no file given");
  std::vector<ResultFile> runs;
  std::string sources;
  for (const std::string& path : baseline_paths) {
    if (path.empty()) throw UsageError("BASELINE: no file given");
    try {
      for (ResultFile& run : baselines::read_runs(path)) runs.push_back(std::move(run));
    } catch (const UsageError& e) {
      throw UsageError(std::string("BASELINE ") + e.what());
    }
    sources += (sources.empty() ? "" : ", ") + path;
  }
  if (current_path.empty()) throw UsageError("CURRENT: no file given");
  ResultFile current;
  try {
    current = read_results(current_path);
  } catch (const UsageError& e) {
    throw UsageError(std::string("CURRENT ") + e.what());
  }
  return compare_results(runs, current, options, sources, current_path);
}

CompareOutcome compare_files(const std::string& baseline_path, const std::string& current_path,
                             const CompareOptions& options) {
  return compare_files(std::vector<std::string>{baseline_path}, current_path, options);
}

}  // namespace fa
