// The build-independent half of measure/counters.hpp: defaults, the profiler-environment check and
// the row mapping. The CUPTI session itself is in cupti_range_profiler.cpp (CUDA builds only).
#include "measure/counters.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

#if FA_HAS_CUDA
#include "measure/cupti_range_profiler.hpp"
#endif

extern char** environ;

namespace fa {

const std::vector<std::string>& default_counter_metrics() {
  static const std::vector<std::string> m{"dram__bytes_read.sum", "dram__bytes_write.sum", "lts__t_bytes.sum",
                                          "gpu__time_duration.sum"};
  return m;
}

std::optional<double> CounterValues::get(const std::string& metric) const {
  const auto it = values.find(metric);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

std::string profiler_environment() {
  // The CUDA driver loads the library named by CUDA_INJECTION64_PATH into the process (how Nsight
  // Systems and other CUDA tools attach); Nsight Compute's launcher preloads its injection and sets
  // the NV_COMPUTE_PROFILER_* / NV_NSIGHT_* / NV_TPS_* variables.
  // Nsight Compute 2025.3 was seen to set NV_COMPUTE_PROFILER_PERFWORKS_DIR, NV_NSIGHT_INJECTION_*
  // and NV_TPS_LAUNCH_TOKEN (docs/perf/counters-notes.md). Most telling first.
  static const char* const kPrefixes[] = {"CUDA_INJECTION64_PATH=", "NV_COMPUTE_PROFILER_", "NV_NSIGHT_",
                                          "NV_TPS_LAUNCH_TOKEN="};
  for (const char* prefix : kPrefixes) {
    for (char** e = environ; e && *e; ++e) {
      if (std::strncmp(*e, prefix, std::strlen(prefix)) != 0) continue;
      std::string s = *e;
      if (s.size() > 160) s = s.substr(0, 157) + "...";
      return s;
    }
  }
  return {};
}

bool running_under_ncu() { return !profiler_environment().empty(); }

std::unique_ptr<CounterSession> CounterSession::create(int device, std::vector<std::string> metrics,
                                                       std::string* why_not, const CounterOptions& options) {
  std::string why;
  std::unique_ptr<CounterSession> s;
  if (metrics.empty()) metrics = default_counter_metrics();
  if (options.refuse_under_profiler) {
    if (const std::string env = profiler_environment(); !env.empty())
      why = "hardware counters left to the attached CUDA profiling tool (" + env + ")";
  }
  if (why.empty()) {
#if FA_HAS_CUDA
    s = cupti::make_range_profiler_session(device, std::move(metrics), options, &why);
#else
    (void)device;
    why = "this build has no CUDA: no hardware counters";
#endif
  }
  if (!s && why_not) *why_not = why.empty() ? "counters unavailable" : why;
  return s;
}

void apply_counters(const CounterValues& v, Row& row) {
  const std::vector<std::string>& d = default_counter_metrics();
  row.hbm_read_bytes = v.get(d[0]);
  row.hbm_write_bytes = v.get(d[1]);
  row.l2_bytes = v.get(d[2]);
  if (const auto ns = v.get(d[3])) row.counter_time_ms = *ns * 1e-6;
  else row.counter_time_ms.reset();
  row.extra_counters.clear();
  for (const auto& [name, value] : v.values) {
    if (name == d[0] || name == d[1] || name == d[2] || name == d[3]) continue;
    row.extra_counters[name] = value;
  }
  // Writes still dirty in L2 when the work ended, drained and already included in hbm_write_bytes;
  // kept apart so the number is comparable with ncu's per-kernel count (which misses them).
  if (v.drained_write_bytes > 0) row.extra_counters["dram__bytes_write.drained_from_l2"] = v.drained_write_bytes;
  row.counters_note = v.note;
}

}  // namespace fa
