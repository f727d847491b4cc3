#pragma once
// `fa-bench compare BASELINE CURRENT`: the CI regression gate. Matches the rows of two result files
// on point_key() and decides, per point and metric, regression / improvement / unchanged:
//
//   status       ok -> anything else fails, always (and anything else -> ok is an improvement)
//   correctness  a check that passed (or was not run) in the baseline and fails now, always
//   time         median slower by more than the time threshold AND outside the noise: two-sided
//                Mann-Whitney U on the stored samples at alpha; without samples (CSV) or with too
//                few for the test to ever reach alpha, non-overlapping 95% CIs of the medians
//   HBM bytes    read + write counters, when both sides have them: change beyond the bytes threshold
//   peak memory  kernel scratch and device-wide peaks: any increase beyond the memory threshold
//
// Improvements use the same rules in the other direction. Points in only one file are listed,
// never dropped. Result files of different GPUs are refused unless allowed: their timings say
// nothing about a code change.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "reports/json.hpp"
#include "reports/metadata.hpp"

namespace fa {

struct CompareOptions {
  double time_threshold_pct = 5;   // --threshold: median slower by more than this (percent)
  double alpha = 0.01;             // --alpha: significance level of the Mann-Whitney test
  // --bytes-threshold: HBM read + write bytes (percent). Counters are not deterministic where a kernel's
  // traffic depends on what stays in L2: two identical sweeps on an H200 differed by up to 8.4% (the
  // standard kernel at N = 512, whose S and P partly fit in the 60 MB L2) and 2.1% (flash, same shapes).
  double bytes_threshold_pct = 10;
  // --bytes-min-delta: byte changes smaller than this are never gated. The counters see a few hundred
  // KiB of traffic that is not the kernel's (measured on an H100: up to ~250 KiB between identical runs
  // of microsecond points), so percentages of sub-megabyte totals are noise.
  double bytes_min_delta = 1048576;
  double mem_threshold_pct = 0;    // --mem-threshold: peak memory increase (percent; 0 = any)
  bool allow_device_mismatch = false;  // --allow-device-mismatch
  bool fail_on_missing = false;        // --fail-on-missing: baseline points absent from CURRENT fail
  // --clock-normalize: compare times at one SM clock. Each sample of both sides is scaled by its own
  // SM clock over the baseline's median sample clock, so that the GPU's power management setting a
  // different clock in the two runs does not read as a code change (for compute-bound kernels time
  // goes as 1/clock; memory-bound ones are over-corrected). Points without per-sample clocks (CSV
  // input, host kernels, older files) are compared unchanged, with a note.
  bool clock_normalize = false;
};

// Throws UsageError naming the flag of the first out-of-range value.
void validate(const CompareOptions& options);

enum class Metric : std::uint8_t { status, correctness, time, hbm_bytes, scratch_peak, device_peak };
// The JSON / Markdown names: status, correctness, time, hbm_bytes, mem_scratch_peak_bytes, mem_device_peak_bytes.
std::string_view to_string(Metric m);

enum class Significance : std::uint8_t { mann_whitney_exact, mann_whitney_normal, confidence_intervals, threshold_only };
// "mann-whitney-exact", "mann-whitney-normal", "ci-overlap", "threshold-only"
std::string_view to_string(Significance s);

struct TimeDelta {
  double baseline_ms = 0, current_ms = 0;  // medians
  double change = 0;                       // current / baseline - 1
  Significance method = Significance::threshold_only;
  std::optional<double> p_value;  // with Mann-Whitney only
  std::size_t baseline_samples = 0, current_samples = 0;
  bool significant = false;  // the difference is outside the noise (whatever its size)
  std::string note;          // why the method fell back from Mann-Whitney, when it did
};

struct ValueDelta {
  double baseline = 0, current = 0;
  double change = 0;  // current / baseline - 1; +inf when the baseline is 0 and current is not
};

enum class Direction : std::uint8_t { regression, improvement };

// One gated difference of one point, with its evidence as text for people.
struct Finding {
  Metric metric = Metric::time;
  Direction direction = Direction::regression;
  std::string baseline, current;  // the two values as shown ("0.5000 ms", "ok", "3.0e-02 (tol 1.0e-02)")
  std::optional<double> change;   // relative change, for numeric metrics
  std::string evidence;           // "p = 1.1e-05 (Mann-Whitney exact, n 20/20)", the new error's reason, ...
  std::string reason() const;     // all of it in one line: "time +10.0%: 0.5000 ms -> 0.5500 ms, p = ..."
};

struct PointComparison {
  std::string key;  // point_key()
  std::string label;  // point_label(), or the key where two compared points share a label
  Row baseline, current;  // samples_ms cleared once tested (the counts stay in time)
  std::optional<TimeDelta> time;  // both sides ok with a positive median
  std::optional<ValueDelta> hbm_bytes, scratch_peak, device_peak;  // both sides have the value
  std::vector<Finding> findings;  // regressions and improvements, most severe metric first

  bool regressed() const;
  bool improved() const;  // an improvement and no regression
  // Slower or faster beyond the time threshold, but within the noise: shown, not gated.
  bool time_within_noise(const CompareOptions& options) const;
};

struct UnmatchedPoint {
  std::string key, label;
  Row row;  // samples_ms cleared
};

struct CompareOutcome {
  CompareOptions options;
  std::string baseline_source, current_source;  // paths as given
  RunMetadata baseline_metadata, current_metadata;
  std::string baseline_device, current_device;  // metadata device, else the rows' devices ("" unknown)
  std::vector<PointComparison> points;          // matched points, in baseline order
  std::vector<UnmatchedPoint> only_in_baseline, only_in_current;  // in their file's order
  std::vector<std::string> notes;  // caveats: devices allowed to differ, timing modes, Debug builds...

  std::size_t regressed_points() const;
  std::size_t improved_points() const;
  std::size_t unchanged_points() const;
  // A regression, or (with fail_on_missing) a baseline point missing from CURRENT.
  bool failed() const;
  int exit_code() const { return failed() ? 1 : 0; }
};

// The GPU model a result file's device text names, for matching runs and naming baselines: the
// text trimmed, and a CPU run's "cpu (why there is no GPU)" reduced to "cpu", as the reason may
// differ between two CPU-only machines that time the same thing.
std::string device_model(std::string_view device);

// Sources name the files in messages. Throws UsageError for a point appearing twice in one file,
// for results of different devices (unless allowed) and when two non-empty files share no point
// (different sweeps: a gate that compares nothing must not pass).
CompareOutcome compare_results(const ResultFile& baseline, const ResultFile& current, const CompareOptions& options,
                               const std::string& baseline_source = "BASELINE",
                               const std::string& current_source = "CURRENT");

// Reads both files (JSON or CSV, by extension) and compares them: the one call for `fa-bench
// compare` and `fa-bench run --baseline`. Throws UsageError naming the file that is missing,
// malformed or of another schema.
CompareOutcome compare_files(const std::string& baseline_path, const std::string& current_path,
                             const CompareOptions& options);

}  // namespace fa
