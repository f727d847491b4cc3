#include "gbench/gbench_point.hpp"

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/allocator.hpp"
#include "measure/device_memory.hpp"
#include "measure/point_setup.hpp"
#include "measure/stats.hpp"
#include "measure/stream.hpp"

#if FA_HAS_CUDA
#include <cuda_runtime_api.h>

#include "core/cuda_check.hpp"
#endif

namespace fa::gbench {

void run_point_benchmark(benchmark::State& state, const PlannedPoint& pp, const Timing& timing,
                         KernelPool& kernels) {
  // Google Benchmark's documented way out: SkipWithError, then leave without (or break out of) the
  // timing loop. It copies the message.
  if (!pp.runnable) {
    state.SkipWithError(pp.reason.c_str());
    return;
  }
  AttentionKernel* kernel = kernels.get(pp.point.kernel);
  if (!kernel) {
    state.SkipWithError(("kernel " + pp.point.kernel + " not available in this build").c_str());
    return;
  }
  const bool cuda = kernel->backend() == Backend::cuda;
  // Google Benchmark does not catch exceptions: every failure below becomes SkipWithError, also one
  // thrown from inside the timing loop (leaving the loop by exception is the same as `break`).
  try {
#if FA_HAS_CUDA
    if (cuda) FA_CUDA_CHECK(cudaSetDevice(timing.device));
#endif
    StreamHandle stream(cuda);
    Sampler sampler(kernel->backend(), stream.get(), timing.mode, timing.device);
    const std::unique_ptr<PointSetup> setup =
        set_up_point(*kernel, pp.point, PointInputs{timing.data_seed}, PointPlace{stream.get(), timing.device});
    const std::function<void()> launch = [&setup] { setup->run().run(); };
    // One untimed invocation: module loading, library handles and lazy allocations stay out of the
    // first iteration. Google Benchmark calls this function several times while it sizes the
    // iteration count, so each call pays its own setup, never inside the timing.
    (void)sampler.sample_ms(launch);

    std::vector<double> samples_ms;
    for (auto _ : state) {
      const double ms = sampler.sample_ms(launch);
      state.SetIterationTime(ms * 1e-3);
      samples_ms.push_back(ms);
    }
    if (samples_ms.empty()) return;  // Google Benchmark asked for no iterations
    const double median_ms = summarize(samples_ms).median_ms;
    state.counters["TFLOP/s"] = benchmark::Counter(median_ms > 0 ? pp.flops / (median_ms * 1e-3) / 1e12 : 0.0);
    state.counters["FLOP"] = benchmark::Counter(pp.flops);
    state.counters["bytes_io"] = benchmark::Counter(static_cast<double>(setup->operands().bytes()),
                                                    benchmark::Counter::kDefaults, benchmark::Counter::kIs1024);
    state.counters["bytes_scratch_peak"] = benchmark::Counter(static_cast<double>(setup->scratch().peak_bytes()),
                                                              benchmark::Counter::kDefaults, benchmark::Counter::kIs1024);
    state.SetLabel(sampler.mode_name());
  } catch (const OutOfMemory& e) {
    state.SkipWithError(("out of memory: " + allocation_failure_text(e)).c_str());
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
#if FA_HAS_CUDA
    if (cuda) (void)cudaGetLastError();  // a non-sticky error must not fail the next point
#endif
  }
}

void register_points(const Plan& plan, const Timing& timing, KernelPool& kernels) {
  for (const PlannedPoint& pp : plan.points) {
    benchmark::RegisterBenchmark(pp.name.c_str(),
                                 [&pp, timing, &kernels](benchmark::State& state) {
                                   run_point_benchmark(state, pp, timing, kernels);
                                 })
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace fa::gbench
