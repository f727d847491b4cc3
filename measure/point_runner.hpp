#pragma once
// Runs one sweep point end to end and returns its result row. Never throws for point-level
// problems: unsupported shapes, out-of-memory and CUDA errors become rows with a status and reason.
#include <cstdint>
#include <string>

#include "core/kernel.hpp"
#include "core/result.hpp"
#include "measure/counters.hpp"
#include "measure/io_model.hpp"
#include "measure/sampler.hpp"
#include "measure/stats.hpp"
#include "measure/throttle_screen.hpp"
#include "measure/verify.hpp"

namespace fa {

struct RunOptions {
  StoppingRule rule;
  TimingMode mode = TimingMode::cold;
  bool graph = false;         // hot mode: capture one invocation in a CUDA graph, time graph launches
  double warmup_max_s = 0.2;  // warm-up stops once two consecutive samples agree within 5%, or after this
  // Then, right before sampling, the point runs back to back for at least this long, so the SM clock
  // has settled where the GPU's power management holds it for this kernel (0: no such phase).
  double min_warmup_s = 0;
  // After each sample the GPU idles for this many times the sample's duration, so the average power
  // stays below the limit at which the GPU lowers its clock (0: samples back to back).
  double sample_gap = 0;
  ThrottlePolicy throttle;    // samples run at a lowered SM clock are dropped (GPU kernels)
  bool check = false;         // compare against the float64 reference (extra, untimed run)
  VerifyOptions verify;
  std::uint64_t data_seed = 42;
  int device = 0;
  std::string device_name;  // for the row
  // Hardware counters: one session for the whole sweep (null: not measured, counters_off says why).
  CounterSession* counters = nullptr;
  std::string counters_off = "counters not requested";
  IoModelParams io;  // device facts and measured ceilings for the IO model and derived columns
};

// Bytes of Q, K, V, O, lse (and dO, dQ, dK, dV for backward passes) in the kernel's memory space.
std::uint64_t operand_bytes(const Problem& p, Pass pass, Backend backend);

// Fraction of the attention matrix computed (causal and block mask), exact for the point.
double point_visible_fraction(const Problem& p);

// kernel may be null (family not available): the row is then `unsupported` with `unavailable_reason`.
Row run_point(const Point& pt, AttentionKernel* kernel, const RunOptions& opt,
              const std::string& unavailable_reason = "");

}  // namespace fa
