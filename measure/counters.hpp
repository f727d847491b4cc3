#pragma once
// Hardware counters of one piece of GPU work, read from inside the process with the CUPTI Range
// Profiler (user range, user replay): the work is run once per counter pass, so the caller's launch
// must be re-runnable. When counters cannot be read (no GPU, CPU-only build, not permitted, another
// profiler such as ncu attached, unsupported GPU) create() says why instead; that reason is meant
// for the result row's counters_note.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace fa {

// dram__bytes_read.sum, dram__bytes_write.sum, lts__t_bytes.sum, gpu__time_duration.sum.
const std::vector<std::string>& default_counter_metrics();

struct CounterValues {
  std::map<std::string, double> values;  // metric -> value (bytes, ns, ... as the metric defines)
  std::string note;                      // empty when all went well; else why values are missing
  int passes = 0;                        // times the launch was replayed
  // DRAM write bytes that were still dirty in L2 when the work ended and reached DRAM in the drain
  // range after it (already included in the dram__*write* values).
  double drained_write_bytes = 0;
  bool ok() const { return !values.empty(); }
  std::optional<double> get(const std::string& metric) const;
};

struct CounterOptions {
  // Refuse at once when the environment shows an injected CUDA tool (ncu, nsys): the counters are
  // that tool's, and a second CUPTI subscriber would only fail. Tests turn it off to see CUPTI's
  // own refusal.
  bool refuse_under_profiler = true;
  // Cold, complete DRAM counts: before each pass L2 is scrubbed (read-only sweep of 2x L2, outside
  // the range) so the work starts cold and inherits no earlier write-backs; after the work a second
  // range scrubs again so the work's writes still dirty in L2 reach DRAM and are added to the
  // dram__*write* metrics. Without it, writes left in L2 at the end (about 20 MB on an H100) are
  // missing, as they are from ncu's per-kernel numbers. Off: the range sees the work alone.
  bool cold_l2 = true;
};

class CounterSession {
 public:
  // Null (with *why_not set) when counters cannot be read for `device`; metrics empty = defaults.
  static std::unique_ptr<CounterSession> create(int device, std::vector<std::string> metrics, std::string* why_not,
                                                const CounterOptions& options = {});
  virtual ~CounterSession() = default;

  // Runs before_each_pass() (outside the range), then launch_once() inside a range named
  // range_name, once per counter pass, synchronising the device around each pass (and the L2 scrub
  // and drain of CounterOptions::cold_l2). CUPTI failures come back as a note; exceptions thrown by
  // the callbacks propagate (the session is then unusable and later calls say so).
  virtual CounterValues measure(const std::string& range_name, const std::function<void()>& launch_once,
                                const std::function<void()>& before_each_pass = {}) = 0;

  virtual const std::vector<std::string>& metrics() const = 0;
  virtual int passes() const = 0;       // counter passes per measurement (launch replays)
  virtual std::string chip() const = 0;  // "GH100"

 protected:
  CounterSession() = default;
};

// The name=value of an environment variable that an injected CUDA profiling tool (Nsight Compute,
// Nsight Systems) sets in the profiled process, or empty when none is present.
std::string profiler_environment();
// True when profiler_environment() found something: the caller should leave counters to that tool.
bool running_under_ncu();

// Copies the default metrics into the row's counter columns (bytes; gpu__time_duration in ms) and
// the other metrics into Row::extra_counters; counters_note is the values' note (why some are missing).
void apply_counters(const CounterValues& v, Row& row);

}  // namespace fa
