// Timing probe for the flash forward (hidden: run with "[flash_fwd_perf]" or "[perf]"). Asserts
// nothing about speed; prints the numbers recorded in docs/perf/flash-fwd-notes.md.
// CUDA events on one stream, 5 warm-up runs, median of 30 (each run one kernel launch).
// Besides the kernel as shipped (through the AttentionKernel interface), it times a few other tile
// shapes of the same kernel template at the same points, to keep the trait choice honest.
#include <catch2/catch.hpp>

#include <cuda_runtime_api.h>

#include <cstdio>
#include <string>

#include "core/cuda_check.hpp"
#include "kernels/flash/flash_fwd_launch.cuh"
#include "kernels/flash/flash_kernel.hpp"
#include "measure/operands.hpp"
#include "measure/stream.hpp"
#include "measure/tracking_allocator.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace {

using fa::testing::median_ms;
using fa::testing::square_problem;

// Dense-equivalent forward FLOPs 4*B*H*N^2*D (no causal discount, as FA2's benchmarks count).
double tflops(const fa::Problem& p, double ms) {
  return 4.0 * p.batch * p.heads * p.seqlen_q * p.seqlen_kv * p.head_dim / ms * 1e-9;
}

void report(const char* what, const fa::Problem& p, double ms) {
  std::printf("PERF %-22s B%-2lld H%-3lld N%-5lld D%-4lld %s causal=%d p=%.2f : %8.3f ms  %6.1f TF/s\n", what,
              (long long)p.batch, (long long)p.heads, (long long)p.seqlen_q, (long long)p.head_dim,
              std::string(fa::to_string(p.dtype)).c_str(), p.causal, p.dropout, ms, tflops(p, ms));
}

double time_shipped(const fa::Problem& p) {
  auto k = fa::testing::require_kernel("flash");
  REQUIRE(k->supports(p, fa::Pass::fwd).ok);
  const double ms = fa::testing::time_kernel_pass(*k, p, fa::Pass::fwd).ms;
  report("flash (shipped)", p, ms);
  return ms;
}

// The same kernel template with another tile shape, bf16, no causal, no dropout.
template <class Traits>
void time_variant(const char* what, const fa::Problem& p) {
  fa::DeviceTrackingAllocator operands_alloc;
  fa::StreamHandle stream(true);
  fa::OperandSet ops(p, fa::Pass::fwd, fa::Backend::cuda, operands_alloc, nullptr);
  ops.fill_random(42, stream.get());
  const fa::flash::FlashParams params = fa::flash::params_for(p, &ops.ops(), false);
  const auto st = static_cast<cudaStream_t>(stream.get());
  const double ms = median_ms(
      st, [&] { fa::flash::launch_flash_fwd_instance<Traits, __nv_bfloat16, false, false, false>(params, st); });
  report(what, p, ms);
}

}  // namespace

TEST_CASE("flash fwd: timing at the performance points", "[.perf][flash_fwd_perf]") {
  FA_REQUIRE_GPU();
  using fa::DType;
  const fa::Problem d128 = square_problem(2, 16, 8192, 128, DType::bf16, false, 0.0);
  const fa::Problem d64 = square_problem(2, 32, 8192, 64, DType::bf16, false, 0.0);
  const double t128 = time_shipped(d128);
  const double t64 = time_shipped(d64);
  time_shipped(square_problem(2, 16, 8192, 128, DType::bf16, true, 0.0));
  time_shipped(square_problem(2, 16, 8192, 128, DType::fp16, false, 0.0));
  time_shipped(square_problem(2, 8, 8192, 256, DType::bf16, false, 0.0));
  time_shipped(square_problem(2, 16, 8192, 96, DType::bf16, false, 0.0));
  time_shipped(square_problem(32, 8, 2048, 64, DType::fp16, false, 0.2));
  time_shipped(square_problem(32, 8, 2048, 64, DType::fp16, false, 0.0));
  using fa::flash::FwdTraits;
  time_variant<FwdTraits<128, 128, 32, 4, false>>("D128 Br128 Bc32 4w", d128);
  time_variant<FwdTraits<128, 64, 64, 4, false>>("D128 Br64 Bc64 4w", d128);
  time_variant<FwdTraits<128, 128, 64, 8, false>>("D128 Br128 Bc64 8w", d128);
  time_variant<FwdTraits<64, 128, 128, 4, false>>("D64 Br128 Bc128 4w", d64);
  time_variant<FwdTraits<64, 128, 64, 4, false>>("D64 Br128 Bc64 4w smemQ", d64);
  time_variant<FwdTraits<64, 128, 128, 8, true>>("D64 Br128 Bc128 8w", d64);
  std::printf("PERF bar: D128 %.1f TF/s (target >= 300), D64 %.1f TF/s (target >= 250)\n", tflops(d128, t128),
              tflops(d64, t64));
}
