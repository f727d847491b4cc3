// Timing probe for the flash backward (hidden: run with "[perf][flash_bwd]"). Asserts nothing about
// speed; prints the numbers recorded in docs/perf/flash-bwd-notes.md. flash_fwd provides O and lse,
// then flash_bwd (preprocess + main + postprocess) is timed with CUDA events on one stream:
// 5 warm-up runs, median of 30, random normal inputs.
#include <catch2/catch.hpp>

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdio>

#include "core/cuda_check.hpp"
#include "core/philox.hpp"
#include "kernels/flash/flash_params.hpp"
#include "measure/device_fill.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace {

using fa::testing::DeviceBuffer;
using fa::testing::median_ms;

void time_point(int b, int h, int n, int d, fa::DType dt, bool causal, double dropout) {
  const std::size_t elems = static_cast<std::size_t>(b) * h * n * d;
  DeviceBuffer q(elems * 2), k(elems * 2), v(elems * 2), o(elems * 2), dout(elems * 2), dq(elems * 2), dk(elems * 2),
      dv(elems * 2), lse(static_cast<std::size_t>(b) * h * n * 4);
  cudaStream_t st;
  FA_CUDA_CHECK(cudaStreamCreate(&st));
  fa::device_fill_normal(q.ptr, dt, static_cast<std::int64_t>(elems), 1, 1.0f, st);
  fa::device_fill_normal(k.ptr, dt, static_cast<std::int64_t>(elems), 2, 1.0f, st);
  fa::device_fill_normal(v.ptr, dt, static_cast<std::int64_t>(elems), 3, 1.0f, st);
  fa::device_fill_normal(dout.ptr, dt, static_cast<std::int64_t>(elems), 4, 1.0f, st);

  fa::flash::FlashBwdParams p;
  const std::int64_t sb = static_cast<std::int64_t>(h) * n * d, sh = static_cast<std::int64_t>(n) * d, sn = d;
  p.q = q.ptr, p.k = k.ptr, p.v = v.ptr, p.o = o.ptr, p.lse = static_cast<float*>(lse.ptr);
  p.dout = dout.ptr, p.dq = dq.ptr, p.dk = dk.ptr, p.dv = dv.ptr;
  for (std::int64_t* s : {&p.q_stride_b, &p.k_stride_b, &p.v_stride_b, &p.o_stride_b, &p.do_stride_b, &p.dq_stride_b,
                          &p.dk_stride_b, &p.dv_stride_b})
    *s = sb;
  for (std::int64_t* s : {&p.q_stride_h, &p.k_stride_h, &p.v_stride_h, &p.o_stride_h, &p.do_stride_h, &p.dq_stride_h,
                          &p.dk_stride_h, &p.dv_stride_h})
    *s = sh;
  for (std::int64_t* s : {&p.q_stride_n, &p.k_stride_n, &p.v_stride_n, &p.o_stride_n, &p.do_stride_n, &p.dq_stride_n,
                          &p.dk_stride_n, &p.dv_stride_n})
    *s = sn;
  p.batch = b, p.heads = h, p.seqlen_q = n, p.seqlen_kv = n, p.head_dim = d;
  p.dtype = dt, p.scale = 1.0f / std::sqrt(static_cast<float>(d)), p.causal = causal;
  p.dropout = static_cast<float>(fa::dropout_p_used(dropout)), p.dropout_threshold = fa::dropout_threshold8(dropout);
  p.seed = 99;
  DeviceBuffer ws(fa::flash::flash_bwd_workspace_bytes(p));

  const double fwd_ms = median_ms(st, [&] { fa::flash::flash_fwd(p, st); });
  const double bwd_ms = median_ms(st, [&] { fa::flash::flash_bwd(p, ws.ptr, st); });
  // 4*B*H*N^2*D forward, 2.5x that backward; causal: half of it (the dense-equivalent is 2x).
  const double fwd_flops = 4.0 * b * h * static_cast<double>(n) * n * d * (causal ? 0.5 : 1.0);
  std::printf("PERF flash B%d H%d N%d D%d %s causal=%d p=%.2f : fwd %.3f ms %.1f TF/s | bwd %.3f ms %.1f TF/s | "
              "fwd+bwd %.3f ms %.1f TF/s\n",
              b, h, n, d, dt == fa::DType::bf16 ? "bf16" : "fp16", causal, dropout, fwd_ms, fwd_flops / fwd_ms * 1e-9,
              bwd_ms, 2.5 * fwd_flops / bwd_ms * 1e-9, fwd_ms + bwd_ms, 3.5 * fwd_flops / (fwd_ms + bwd_ms) * 1e-9);
  FA_CUDA_CHECK(cudaStreamDestroy(st));
}

}  // namespace

TEST_CASE("flash bwd: timing at the reference points", "[.][perf][flash_bwd]") {
  FA_REQUIRE_GPU();
  time_point(2, 16, 8192, 128, fa::DType::bf16, false, 0.0);  // the bar: fwd+bwd >= 200 TF/s
  time_point(2, 16, 8192, 128, fa::DType::bf16, true, 0.0);
  time_point(2, 16, 8192, 64, fa::DType::bf16, false, 0.0);
  time_point(2, 16, 8192, 128, fa::DType::bf16, false, 0.1);
  time_point(32, 8, 2048, 64, fa::DType::fp16, false, 0.2);
  time_point(2, 8, 4096, 256, fa::DType::bf16, false, 0.0);
}
