#pragma once
// The result schema: one row per point x kernel x pass. Produced by measure/, written and read
// back by reports/ (CSV, Markdown, JSON), matched across files by point_key().
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/problem.hpp"

namespace fa {

enum class Status : std::uint8_t { ok, oom, unsupported, error, planned };
std::string_view to_string(Status s);
std::optional<Status> parse_status(std::string_view s);

struct TimeStats {
  double median_ms = 0, mean_ms = 0, min_ms = 0, max_ms = 0, stddev_ms = 0;
  double cv = 0;                        // stddev / mean
  double ci_low_ms = 0, ci_high_ms = 0;  // 95% confidence interval of the median
  std::int64_t samples = 0;
};

struct Row {
  Point point;
  Status status = Status::ok;
  std::string reason;  // why not ok; notes for ok rows (e.g. "throttled")
  std::string backend;  // host / cuda
  std::string device;   // "cpu" or GPU name
  std::string timing_mode;  // cold / hot / host
  // The drop probability the kernel applied for point.problem.dropout: the shared keep-mask rounds
  // p to a multiple of 1/256 (fa::dropout_p_used, core/philox.hpp); cuDNN's own RNG applies p.
  // Empty when unknown (a row of a file written before this field existed).
  std::optional<double> dropout_used;

  TimeStats time;
  std::vector<double> samples_ms;  // kept for compare's significance test (JSON only)

  double flops = 0;        // FLOP convention of core/flops.hpp (mask-aware)
  double tflops = 0;       // flops / median
  double mask_density = 1.0;  // fraction of attention-matrix elements computed

  // Memory (bytes). io: operands; scratch: kernel workspace peak; device_peak: device-wide delta.
  std::optional<double> mem_io_bytes, mem_scratch_peak_bytes, mem_device_peak_bytes;

  // Hardware counters (empty until measured; counters_note says why when empty).
  std::optional<double> hbm_read_bytes, hbm_write_bytes, l2_bytes, counter_time_ms;
  std::optional<double> io_model_bytes;  // predicted HBM bytes (IO-complexity model)
  std::string counters_note;
  std::map<std::string, double> extra_counters;  // metrics asked for with --metrics beyond the defaults

  // Derived from the above and the device's measured ceilings (measure/io_model.hpp derive_io).
  std::optional<double> achieved_hbm_gbps;     // measured HBM bytes / median time
  std::optional<double> arithmetic_intensity;  // FLOP per HBM byte (model bytes when unmeasured)
  std::optional<double> pct_peak_bandwidth;    // achieved bandwidth / measured copy ceiling, %
  std::optional<double> pct_peak_flops;        // achieved FLOP/s / measured GEMM ceiling, %

  // Correctness against the float64 reference: max over outputs of ||out-ref|| / ||ref||.
  std::optional<double> max_rel_error;
  std::optional<double> tolerance;
  std::string check_note;  // "pass", "FAIL: dq 3e-2 > 1e-2", "skipped: N too large", ...

  // SM clock (MHz; 0 = not measured): before and after sampling, and the median over the kept samples
  // of each sample's own clock (measure/sample_clock.hpp). samples_dropped: samples the clock screen
  // discarded because they ran below its threshold (measure/throttle_screen.hpp).
  double sm_clock_start_mhz = 0, sm_clock_end_mhz = 0, sm_clock_sample_mhz = 0;
  std::int64_t samples_dropped = 0;
  std::vector<double> samples_clock_mhz;  // per kept sample, parallel to samples_ms (JSON only)
};

// HBM bytes the counters measured: read + write, or empty unless both were measured.
std::optional<double> measured_hbm_bytes(const Row& r);

}  // namespace fa
