#pragma once
// `fa-bench compare BASELINE... CURRENT`: the CI regression gate. Matches the rows of a baseline (one
// run or several runs of the same build) and a current run on point_key() and decides, per point and
// metric, regression / improvement / unchanged:
//
//   status       ok -> anything else fails, always (and anything else -> ok is an improvement)
//   correctness  a check that passed (or was not run) in the baseline and fails now, always
//   time         the current median slower than the baseline by more than its line AND outside the
//                samples' noise. The line is max(--threshold, the point's between-run noise allowance:
//                reports/compare_noise.hpp), so a shift that other runs of the same code also show
//                does not fail. Times are clock-normalized where both sides recorded per-sample SM
//                clocks (--raw-time: raw), the raw change shown beside. Samples' noise: two-sided
//                Mann-Whitney U on the samples (the baseline's runs pooled) at alpha; without samples
//                (CSV) or with too few for the test to ever reach alpha, non-overlapping 95% CIs
//   HBM bytes    read + write counters, when both sides have them: change beyond the bytes threshold
//   memory       tracked bytes (operands, kernel scratch peak) gated exactly (beyond --mem-threshold,
//                default any increase); the device-wide peak beyond one allocation page (2 MiB,
//                --device-peak-tolerance) of driver granularity
//
// Improvements use the same rules in the other direction. Points in only one file are listed,
// never dropped. Result files of different GPUs are refused unless allowed: their timings say
// nothing about a code change. A comparison of files is one current run's evidence; `fa-bench run
// --baseline` also re-measures each point that looks regressed before failing it
// (reports/compare_confirm.hpp).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "reports/compare_noise.hpp"
#include "reports/json.hpp"
#include "reports/metadata.hpp"

namespace fa {

struct CompareOptions {
  // --threshold: the smallest change of a median that can fail (percent). A gate that must catch a
  // 5% slowdown 19 times in 20 needs its line below 5%: a true 5% measures 5% +- the noise.
  double time_threshold_pct = 3;
  double alpha = 0.01;             // --alpha: significance level of the Mann-Whitney test
  // --bytes-threshold: HBM read + write bytes (percent). Counters are not deterministic where a kernel's
  // traffic depends on what stays in L2: two identical sweeps on an H200 differed by up to 8.4% (the
  // standard kernel at N = 512, whose S and P partly fit in the 60 MB L2) and 2.1% (flash, same shapes).
  double bytes_threshold_pct = 10;
  // --bytes-min-delta: byte changes smaller than this are never gated. The counters see a few hundred
  // KiB of traffic that is not the kernel's (measured on an H100: up to ~250 KiB between identical runs
  // of microsecond points), so percentages of sub-megabyte totals are noise.
  double bytes_min_delta = 1048576;
  // --mem-threshold: tracked memory (operands, kernel scratch peak) increase that fails (percent; 0 =
  // any). The tracking allocator counts bytes requested, so the same code gives the same figure.
  double mem_threshold_pct = 0;
  // --device-peak-tolerance: the device-wide peak (cudaMemGetInfo, which counts whole 2 MiB pages) may
  // grow by this many bytes without failing. The same binary on two H200s measured 258 and 260 MiB for
  // one point: one page of driver and library allocations, not the code's.
  double device_peak_tolerance_bytes = 2097152;
  bool allow_device_mismatch = false;  // --allow-device-mismatch
  bool fail_on_missing = false;        // --fail-on-missing: baseline points absent from CURRENT fail
  // --raw-time: gate on times as measured. By default each sample of both sides is scaled by its own
  // SM clock over the baseline's median sample clock of the point, so that the GPU's power management
  // setting a different clock in the two runs does not read as a code change (compute-bound time goes
  // as 1/clock; memory-bound kernels are over-corrected, hence the raw change is always shown beside).
  // Points without per-sample clocks (CSV input, host kernels, older files) are compared raw, with a note.
  bool raw_time = false;
  RunNoiseModel noise;  // between-run noise allowance (reports/compare_noise.hpp; documented defaults)
};
// Throws UsageError naming the flag of the first out-of-range value.
void validate(const CompareOptions& options);

enum class Metric : std::uint8_t { status, correctness, time, hbm_bytes, io_bytes, scratch_peak, device_peak };
// The JSON / Markdown names: status, correctness, time, hbm_bytes, mem_io_bytes, mem_scratch_peak_bytes,
// mem_device_peak_bytes.
std::string_view to_string(Metric m);

enum class Significance : std::uint8_t { mann_whitney_exact, mann_whitney_normal, confidence_intervals, threshold_only };
// "mann-whitney-exact", "mann-whitney-normal", "ci-overlap", "threshold-only"
std::string_view to_string(Significance s);

struct TimeDelta {
  // Gated times: clock-normalized unless raw (see CompareOptions::raw_time). The baseline's is the
  // geometric mean of its runs' medians (its one median for a single run).
  double baseline_ms = 0, current_ms = 0;
  double change = 0;                       // current / baseline - 1
  double raw_baseline_ms = 0, raw_current_ms = 0, raw_change = 0;  // as measured, for people
  double reference_clock_mhz = 0;  // the clock both sides were normalized to; 0: raw times
  NoiseAllowance allowance;        // between-run noise of this point (allowance.runs = baseline runs)
  // The lines a change must cross: max(--threshold, allowance) slower or faster, as fractions.
  double regression_line = 0, improvement_line = 0;
  Significance method = Significance::threshold_only;
  std::optional<double> p_value;  // with Mann-Whitney only
  std::size_t baseline_samples = 0, current_samples = 0;
  bool significant = false;  // the difference is outside the samples' noise (whatever its size)
  std::string note;          // why the method fell back from Mann-Whitney, clock normalization, ...
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

// What a re-measurement of a point is compared against: kept only for points whose time or HBM
// bytes regressed, so that `run --baseline` can confirm them (reports/compare_confirm.hpp).
struct RetestBasis {
  std::vector<double> baseline_samples;  // every baseline run's samples pooled, on the gated scale
  double reference_clock_mhz = 0;        // 0: raw times
  std::optional<double> baseline_hbm_bytes;
};

// The re-measurements of one point that looked regressed, and what they showed.
struct Confirmation {
  std::size_t remeasured = 0;         // re-measurements that produced an ok row
  std::vector<double> time_changes;   // each re-measurement's median against the baseline (gated scale)
  std::vector<double> bytes_changes;  // each re-measurement's HBM bytes against the baseline
  std::optional<double> p_value;      // Mann-Whitney: the re-measured samples pooled against the baseline's
  bool reproduced = false;            // a questioned regression showed again: the point fails
  std::string why;                    // for people: what was re-measured, what it showed, the decision
};

struct PointComparison {
  std::string key;  // point_key()
  std::string label;  // point_label(), or the key where two compared points share a label
  Row baseline, current;  // the baseline's last run holding the point; samples cleared once tested
  std::optional<TimeDelta> time;  // both sides ok with a positive median
  std::optional<ValueDelta> hbm_bytes, io_bytes, scratch_peak, device_peak;  // both sides have the value
  std::vector<Finding> findings;  // regressions and improvements, most severe metric first
  std::optional<RetestBasis> retest;         // set while a time or byte regression awaits confirmation
  std::optional<Confirmation> confirmation;  // after re-measuring (run --baseline)
  std::vector<Finding> dismissed;  // regressions the re-measurements did not reproduce (not failing)

  bool regressed() const;
  bool improved() const;  // an improvement and no regression
  // Slower or faster beyond --threshold, but within the noise (the samples' or between runs):
  // shown, not gated.
  bool time_within_noise(const CompareOptions& options) const;
};

struct UnmatchedPoint {
  std::string key, label;
  Row row;  // samples_ms cleared
};

struct CompareOutcome {
  CompareOptions options;
  std::string baseline_source, current_source;  // paths as given (several baseline files joined by ", ")
  std::size_t baseline_runs = 1;  // runs in the baseline (files, or runs of a stored baseline)
  // Rounds of re-measurement behind the verdict: 0 for a comparison of files (one current run's
  // evidence), N after `run --baseline` confirmed each regressed point N times.
  std::size_t confirm_rounds = 0;
  std::string confirm_method;  // where the re-measurements ran ("each round in a fresh fa-bench process")
  RunMetadata baseline_metadata, current_metadata;  // the baseline's: its last run
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

// The run-metadata key (RunMetadata::extra) under which `fa-bench run` records that the test-only fault
// injection was on (measure/fault_injection.hpp); compare notes it for either side.
inline constexpr std::string_view kFaultInjectionMetadataKey = "fault_injection";

// The GPU model a result file's device text names, for matching runs and naming baselines: the
// text trimmed, and a CPU run's "cpu (why there is no GPU)" reduced to "cpu", as the reason may
// differ between two CPU-only machines that time the same thing.
std::string device_model(std::string_view device);

// Sources name the files in messages. `baseline` holds one run or several runs of the same build, in
// the order they were measured. Throws UsageError for a point appearing twice in one run, for results
// of different devices (unless allowed), for an empty list of baseline runs, and when the baseline
// and a non-empty current run share no point (different sweeps: a gate that compares nothing must
// not pass).
CompareOutcome compare_results(const std::vector<ResultFile>& baseline, const ResultFile& current,
                               const CompareOptions& options, const std::string& baseline_source = "BASELINE",
                               const std::string& current_source = "CURRENT");
CompareOutcome compare_results(const ResultFile& baseline, const ResultFile& current, const CompareOptions& options,
                               const std::string& baseline_source = "BASELINE",
                               const std::string& current_source = "CURRENT");

// Reads the files (results JSON or CSV by extension; a stored multi-run baseline JSON counts as its
// runs) and compares them: the one call for `fa-bench compare` and `fa-bench run --baseline`. Throws
// UsageError naming the file that is missing, malformed or of another schema.
CompareOutcome compare_files(const std::vector<std::string>& baseline_paths, const std::string& current_path,
                             const CompareOptions& options);
CompareOutcome compare_files(const std::string& baseline_path, const std::string& current_path,
                             const CompareOptions& options);

}  // namespace fa
