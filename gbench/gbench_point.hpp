#pragma once
// One fa-bench point as a Google Benchmark benchmark: operands and the prepared kernel are set up
// outside the timed region, then every benchmark iteration is one kernel invocation timed by the
// fa-bench Sampler (CUDA events on the point's stream, L2 flushed first in cold mode; host clock
// for host kernels) and handed to Google Benchmark with SetIterationTime (UseManualTime).
//
// Counters (per run):
//   TFLOP/s             FLOP / median iteration time of the run (the fa-bench definition)
//   FLOP                FLOP per iteration (core/flops.hpp convention, causal/block-mask aware)
//   bytes_io            bytes of the operands held (Q, K, V, O, lse, and gradients for backward)
//   bytes_scratch_peak  peak kernel scratch through the tracking allocator
#include <benchmark/benchmark.h>

#include <cstdint>

#include "gbench/gbench_plan.hpp"
#include "kernels/point_kernels.hpp"
#include "measure/sampler.hpp"

namespace fa::gbench {

struct Timing {
  TimingMode mode = TimingMode::cold;
  int device = 0;
  std::uint64_t data_seed = 42;
};

// The benchmark function. Points that cannot run, and points that fail (out of memory, CUDA
// errors), end with state.SkipWithError(reason).
void run_point_benchmark(benchmark::State& state, const PlannedPoint& pp, const Timing& timing,
                         KernelPool& kernels);

// Registers one benchmark per planned point, named pp.name. `plan` and `kernels` must outlive
// benchmark::RunSpecifiedBenchmarks().
void register_points(const Plan& plan, const Timing& timing, KernelPool& kernels);

}  // namespace fa::gbench
