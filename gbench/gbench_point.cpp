#include "gbench/gbench_point.hpp"

#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "core/allocator.hpp"
#include "core/block_mask.hpp"
#include "measure/operands.hpp"
#include "measure/stats.hpp"
#include "measure/stream.hpp"
#include "measure/tracking_allocator.hpp"
#include "reference/masks.hpp"

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
  const Problem& p = pp.point.problem;
  const Pass pass = pp.point.pass;
  const bool cuda = kernel->backend() == Backend::cuda;
  // Google Benchmark does not catch exceptions: every failure below becomes SkipWithError, also one
  // thrown from inside the timing loop (leaving the loop by exception is the same as `break`).
  try {
#if FA_HAS_CUDA
    if (cuda) FA_CUDA_CHECK(cudaSetDevice(timing.device));
#endif
    StreamHandle stream(cuda);
    Sampler sampler(kernel->backend(), stream.get(), timing.mode, timing.device);
    HostTrackingAllocator host_io, host_scratch;
    DeviceTrackingAllocator dev_io, dev_scratch;
    Allocator& io = cuda ? static_cast<Allocator&>(dev_io) : static_cast<Allocator&>(host_io);
    TrackingAllocator& scratch =
        cuda ? static_cast<TrackingAllocator&>(dev_scratch) : static_cast<TrackingAllocator&>(host_scratch);
    std::optional<BlockMask> mask;
    if (!p.sparsity.is_dense()) mask = ref::make_block_mask(p.sparsity, p.heads, p.seqlen_q, p.seqlen_kv, p.seed);
    OperandSet ops(p, pass, kernel->backend(), io, mask ? &*mask : nullptr);
    ops.fill_random(timing.data_seed, stream.get());

    const ExecContext ctx{stream.get(), &scratch, timing.device};
    const std::unique_ptr<PreparedRun> run = kernel->prepare(p, pass, ops.ops(), ctx);
    const std::function<void()> launch = [&run] { run->run(); };
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
    state.counters["bytes_io"] = benchmark::Counter(static_cast<double>(ops.bytes()), benchmark::Counter::kDefaults,
                                                    benchmark::Counter::kIs1024);
    state.counters["bytes_scratch_peak"] = benchmark::Counter(
        static_cast<double>(scratch.peak_bytes()), benchmark::Counter::kDefaults, benchmark::Counter::kIs1024);
    state.SetLabel(sampler.mode_name());
  } catch (const OutOfMemory& e) {
    state.SkipWithError(
        fmt::format("out of memory: allocation of {:.2f} GiB failed ({})", e.bytes / 1073741824.0, e.where).c_str());
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
