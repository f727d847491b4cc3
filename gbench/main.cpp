// fa-bench-gbench: the fa-bench kernels and sweep points as Google Benchmark benchmarks, for users
// of Google Benchmark's tooling (--benchmark_filter, --benchmark_repetitions, --benchmark_out,
// tools/compare.py). The sweep comes from the --fa-* flags (gbench/gbench_flags.hpp); see
// docs/gbench.md. Exit codes: 0 ran (skipped points included), 1 setup failed, 2 bad flag.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include "core/errors.hpp"
#include "gbench/gbench_flags.hpp"
#include "gbench/gbench_plan.hpp"
#include "gbench/gbench_point.hpp"
#include "kernels/point_kernels.hpp"
#include "measure/device_info.hpp"

namespace {

bool asks_for_help(int argc, char** argv) {
  for (int i = 1; i < argc; ++i)
    if (std::strcmp(argv[i], "--help") == 0) return true;
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace fa;
  gbench::Options opt;
  gbench::Plan plan;
  DeviceSummary devices;
  try {
    opt = gbench::take_fa_flags(argc, argv);
    if (opt.help || asks_for_help(argc, argv)) {
      // --help goes on to Google Benchmark, which prints its own flags and exits.
      std::fputs(gbench::fa_flags_help().c_str(), stdout);
      if (opt.help) return 0;
      std::fputs("\nGoogle Benchmark flags:\n", stdout);
      std::fflush(stdout);
    }
    devices = query_devices();
    const bool have_gpu = !devices.devices.empty();
    if (have_gpu && opt.device >= static_cast<int>(devices.devices.size()))
      throw bad_value("--fa-device", std::to_string(opt.device), "0 to " + std::to_string(devices.devices.size() - 1));
    plan = gbench::plan_points(opt, have_gpu);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "fa-bench-gbench: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fa-bench-gbench: %s\n", e.what());
    return 1;
  }

  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  // Notes go to stderr: stdout stays clean for --benchmark_list_tests and --benchmark_format=json.
  if (!plan.note.empty()) std::fprintf(stderr, "%s\n", plan.note.c_str());
  for (const std::string& why : plan.drop_reasons) std::fprintf(stderr, "dropped: %s\n", why.c_str());
  const bool have_gpu = !devices.devices.empty();
  benchmark::AddCustomContext("fa_device", have_gpu ? devices.devices[static_cast<std::size_t>(opt.device)].name
                                                    : "none (" + devices.none_reason + ")");
  std::string gpu_timing = "no GPU: host kernels only";
  if (have_gpu)
    gpu_timing = opt.mode == TimingMode::cold ? "cold (L2 flushed before each iteration)" : "hot (back-to-back launches)";
  benchmark::AddCustomContext("fa_gpu_timing", gpu_timing);
  benchmark::AddCustomContext("fa_time", "manual: CUDA events per invocation (host clock for host kernels)");

  const gbench::Timing timing{opt.mode, opt.device, opt.data_seed};
  KernelPool kernels;
  gbench::register_points(plan, timing, kernels);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
