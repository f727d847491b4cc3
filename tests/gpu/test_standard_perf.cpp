// Timing probe for the `standard` family (hidden: run with "[perf][standard]"). Not a benchmark and
// asserts nothing about speed; it prints the numbers recorded in docs/perf/standard-notes.md:
// whole passes at the reference points, and the forward broken into its three launches.
// CUDA events on one stream, 5 warm-up runs, median of 30, random normal inputs.
#include <catch2/catch.hpp>

#include <cuda_runtime_api.h>
#include <cublas_v2.h>

#include <cstdio>

#include "core/cuda_check.hpp"
#include "core/philox.hpp"
#include "kernels/standard/batched_gemm.hpp"
#include "kernels/standard/cublas_check.hpp"
#include "kernels/standard/row_kernels.hpp"
#include "measure/device_fill.hpp"
#include "measure/stream.hpp"
#include "measure/tracking_allocator.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace {

using fa::testing::median_ms;
using fa::testing::square_problem;

double time_pass(fa::AttentionKernel& k, const fa::Problem& p, fa::Pass pass) {
  const fa::testing::PassTiming t = fa::testing::time_kernel_pass(k, p, pass);
  const double ms = t.ms;
  // Attention FLOPs as usually counted (4*B*H*N^2*D forward, 2.5x that for backward), no causal
  // discount: the standard kernel computes the whole matrix.
  const double fwd_flops = 4.0 * p.batch * p.heads * p.seqlen_q * p.seqlen_kv * p.head_dim;
  const double flops = pass == fa::Pass::fwd ? fwd_flops : pass == fa::Pass::bwd ? 2.5 * fwd_flops : 3.5 * fwd_flops;
  std::printf("PERF %-8s B%-3lld H%-3lld N%-5lld D%-4lld %s causal=%d p=%.2f : %8.3f ms  %6.1f TF/s  scratch %.2f GiB\n",
              std::string(fa::to_string(pass)).c_str(), (long long)p.batch, (long long)p.heads, (long long)p.seqlen_q,
              (long long)p.head_dim, std::string(fa::to_string(p.dtype)).c_str(), p.causal, p.dropout, ms,
              flops / ms * 1e-9, t.scratch_peak_bytes / 1073741824.0);
  return ms;
}

}  // namespace

TEST_CASE("standard: timing at the reference points", "[.][perf][standard]") {
  FA_REQUIRE_GPU();
  auto k = fa::testing::require_kernel("standard");
  using fa::DType;
  using fa::Pass;
  const double bar = time_pass(*k, square_problem(32, 8, 2048, 64, DType::fp16, false, 0.2), Pass::fwd);
  time_pass(*k, square_problem(32, 8, 2048, 64, DType::fp16, false, 0.0), Pass::fwd);
  time_pass(*k, square_problem(32, 8, 2048, 64, DType::fp16, true, 0.2), Pass::fwd);
  time_pass(*k, square_problem(32, 8, 2048, 64, DType::fp16, false, 0.2), Pass::bwd);
  time_pass(*k, square_problem(32, 8, 2048, 64, DType::fp16, false, 0.0), Pass::bwd);
  time_pass(*k, square_problem(32, 8, 2048, 64, DType::fp16, false, 0.2), Pass::fwdbwd);
  time_pass(*k, square_problem(2, 16, 8192, 128, DType::bf16, false, 0.0), Pass::fwd);
  time_pass(*k, square_problem(2, 16, 8192, 128, DType::bf16, false, 0.0), Pass::fwdbwd);
  time_pass(*k, square_problem(2, 16, 8192, 128, DType::bf16, true, 0.0), Pass::fwd);
  std::printf("PERF bar: forward B32 H8 N2048 D64 fp16 p0.2 = %.3f ms (target <= 7.5, PyTorch eager 7.67)\n", bar);
}

TEST_CASE("standard: forward launches one by one", "[.][perf][standard]") {
  FA_REQUIRE_GPU();
  namespace st = fa::standard;
  const std::int64_t B = 32, H = 8, N = 2048, D = 64;
  const fa::DType dt = fa::DType::fp16;
  fa::DeviceTrackingAllocator alloc;
  fa::StreamHandle stream(true);
  const auto s = static_cast<cudaStream_t>(stream.get());
  const std::size_t mat = static_cast<std::size_t>(B * H * N * N) * 2, qkv = static_cast<std::size_t>(B * H * N * D) * 2;
  fa::Buffer S(alloc, mat, "S"), P(alloc, mat, "P"), Q(alloc, qkv, "Q"), K(alloc, qkv, "K"), V(alloc, qkv, "V"),
      O(alloc, qkv, "O"), lse(alloc, static_cast<std::size_t>(B * H * N) * 4, "lse"),
      ws(alloc, std::size_t{4} << 20, "cublas workspace");
  fa::device_fill_normal(Q.get(), dt, B * H * N * D, 1, 1.0f, s);
  fa::device_fill_normal(K.get(), dt, B * H * N * D, 2, 1.0f, s);
  fa::device_fill_normal(V.get(), dt, B * H * N * D, 3, 1.0f, s);
  cublasHandle_t h;
  FA_CUBLAS_CHECK(cublasCreate(&h));
  FA_CUBLAS_CHECK(cublasSetStream(h, s));
  FA_CUBLAS_CHECK(cublasSetWorkspace(h, ws.get(), ws.bytes()));
  const st::MatRef q{Q.get(), D, H * N * D, N * D}, kk{K.get(), D, H * N * D, N * D}, v{V.get(), D, H * N * D, N * D},
      o{O.get(), D, H * N * D, N * D}, sm{S.get(), N, H * N * N, N * N}, pm{P.get(), N, H * N * N, N * N};
  const double t_qk = median_ms(s, [&] { st::batched_gemm(h, dt, {N, N, D, false, true}, 0.125f, q, kk, sm, B, H); });
  st::RowGeometry g;
  g.rows = B * H * N, g.seqlen_q = g.seqlen_kv = g.ld = static_cast<std::int32_t>(N), g.heads = H;
  st::DropoutSpec none, drop;
  drop.enabled = true, drop.threshold = fa::dropout_threshold8(0.2), drop.seed = 7;
  drop.keep_scale = static_cast<float>(1.0 / (1.0 - fa::dropout_p_used(0.2)));
  const double t_sm = median_ms(s, [&] { st::softmax_forward(dt, S.get(), P.get(), lse.as<float>(), g, none, s); });
  const double t_smd = median_ms(s, [&] { st::softmax_forward(dt, S.get(), P.get(), lse.as<float>(), g, drop, s); });
  g.causal = true;
  const double t_smc = median_ms(s, [&] { st::softmax_forward(dt, S.get(), P.get(), lse.as<float>(), g, drop, s); });
  g.causal = false;
  const double t_pv = median_ms(s, [&] { st::batched_gemm(h, dt, {N, D, N, false, false}, 1.0f, pm, v, o, B, H); });
  const double gb = 2.0 * static_cast<double>(mat) * 1e-9;  // one read of S, one write of P
  std::printf("PERF QK^T GEMM            %8.3f ms  (writes %.2f GB: %.0f GB/s)\n", t_qk, mat * 1e-9, mat * 1e-9 / t_qk * 1e3);
  std::printf("PERF softmax p=0          %8.3f ms  (%.0f GB/s read+write)\n", t_sm, gb / t_sm * 1e3);
  std::printf("PERF softmax p=0.2        %8.3f ms  (%.0f GB/s read+write)\n", t_smd, gb / t_smd * 1e3);
  std::printf("PERF softmax causal p=0.2 %8.3f ms\n", t_smc);
  std::printf("PERF PV GEMM              %8.3f ms  (reads %.2f GB: %.0f GB/s)\n", t_pv, mat * 1e-9, mat * 1e-9 / t_pv * 1e3);
  FA_CUBLAS_CHECK(cublasDestroy(h));
}
