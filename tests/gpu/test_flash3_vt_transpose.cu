// The kernel that writes V^T for the fp8 D = 128 forward (launch_vt_transpose, kernels/flash3/flash3_vt_transpose.cu)
// alone on the GPU: random e4m3 bytes in V with padded, head-interleaved strides and grouped K/V heads, ragged key
// counts; every V^T byte must be V's byte of the key its slot holds (fp8_key_of_slot within each 32), zero past the
// last key. V^T is poisoned (0xa5) before the launch, so a byte left unwritten fails. The end-to-end check is
// test_fp8_fwd.cpp; this one says where a fault is.
#include <catch2/catch.hpp>

#include <cuda_runtime_api.h>

#include <cstdint>
#include <random>
#include <vector>

#include "core/cuda_check.hpp"
#include "kernels/flash3/flash3_fwd.hpp"
#include "kernels/flash3/flash3_v_transpose_plan.hpp"
#include "tests/gpu/flash3_test_points.hpp"
#include "tests/gpu/gpu_support.hpp"

namespace {

namespace f3 = fa::flash3;

// V [batch, keys, heads, D + pad] bytes (pad keeps rows 16-byte aligned, as TMA asks of the forward's V too).
void check_vt(int batch, int kv_heads, int keys, int d) {
  INFO("batch " << batch << ", K/V heads " << kv_heads << ", keys " << keys << ", D " << d);
  const int row = d + 16;
  f3::Flash3Params p;
  p.dtype = fa::DType::fp8;
  p.batch = batch, p.heads = 2 * kv_heads, p.kv_group = 2, p.seqlen_kv = keys, p.head_dim = d;
  p.v_stride_n = static_cast<std::int64_t>(kv_heads) * row, p.v_stride_h = row;
  p.v_stride_b = static_cast<std::int64_t>(keys) * p.v_stride_n;
  std::vector<std::uint8_t> v(static_cast<std::size_t>(batch) * p.v_stride_b);
  std::mt19937 gen(77u + keys);
  for (auto& b : v) b = static_cast<std::uint8_t>(gen());
  const long long vt_keys = f3::vt_keys(keys);
  const std::size_t vt_n = static_cast<std::size_t>(batch) * kv_heads * d * vt_keys;
  std::uint8_t *dv = nullptr, *dvt = nullptr;
  FA_CUDA_CHECK(cudaMalloc(&dv, v.size()));
  FA_CUDA_CHECK(cudaMalloc(&dvt, vt_n));
  FA_CUDA_CHECK(cudaMemcpy(dv, v.data(), v.size(), cudaMemcpyHostToDevice));
  FA_CUDA_CHECK(cudaMemset(dvt, 0xa5, vt_n));
  p.v = dv, p.vt = dvt;
  f3::launch_vt_transpose(p, nullptr);
  FA_CUDA_CHECK(cudaDeviceSynchronize());
  std::vector<std::uint8_t> vt(vt_n);
  FA_CUDA_CHECK(cudaMemcpy(vt.data(), dvt, vt_n, cudaMemcpyDeviceToHost));
  FA_CUDA_CHECK(cudaFree(dv));
  FA_CUDA_CHECK(cudaFree(dvt));
  long long wrong = 0;
  for (int b = 0; b < batch; ++b)
    for (int h = 0; h < kv_heads; ++h)
      for (int dd = 0; dd < d; ++dd)
        for (long long slot = 0; slot < vt_keys; ++slot) {
          const long long key = slot / 32 * 32 + f3::fp8_key_of_slot(static_cast<int>(slot % 32));
          const std::uint8_t want = key < keys ? v[b * p.v_stride_b + key * p.v_stride_n + h * p.v_stride_h + dd] : 0;
          wrong += vt[((static_cast<std::size_t>(b) * kv_heads + h) * d + dd) * vt_keys + slot] != want;
        }
  CHECK(wrong == 0);
}

}  // namespace

TEST_CASE("flash3 fp8 V^T kernel on the GPU: every byte from its key's V byte, zeros past the end",
          "[gpu][fp8][flash3]") {
  FA_REQUIRE_GPU();
  fa::testing::require_flash3(fa::Pass::fwd);  // sm_90: fails with the family's reason elsewhere
  for (int keys : {1, 31, 33, 200, 1000, 4097}) check_vt(2, 3, keys, 128);
  check_vt(1, 2, 300, 64);  // the kernel's other head dims (the forward uses 128 only)
  check_vt(1, 2, 300, 256);
}
