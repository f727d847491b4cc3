// Grouped K/V heads in the flash backward (flash_bwd_launch.cuh says why accumulators and atomics):
// the fp32 dK/dV accumulators are zeroed before the main kernel adds every query head of a group into
// them, and converted afterwards to the element type with dK's and dV's strides (dK already carries
// the softmax scale).
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "core/cuda_check.hpp"
#include "core/pack_half2.cuh"
#include "kernels/flash/flash_bwd_launch.cuh"
#include "kernels/flash/flash_varlen.cuh"

namespace fa::flash::bwd {
namespace {

constexpr int kThreads = 256;

std::int64_t accum_elements(const FlashBwdParams& p) {
  return static_cast<std::int64_t>(p.batch) * (p.heads / p.kv_group) * p.seqlen_kv * p.head_dim;
}

// One thread per 8 elements of one of dK, dV (blockIdx.y picks which): two 16-byte loads of the
// accumulator, one 16-byte store.
template <class T>
__global__ void __launch_bounds__(kThreads) dkv_convert_kernel(const FlashBwdParams p, const float* dk_accum,
                                                               const float* dv_accum) {
  const bool is_dv = blockIdx.y == 1;
  const float* src_base = is_dv ? dv_accum : dk_accum;
  T* dst_base = static_cast<T*>(is_dv ? p.dv : p.dk);
  const std::int64_t sb = is_dv ? p.dv_stride_b : p.dk_stride_b, sh = is_dv ? p.dv_stride_h : p.dk_stride_h,
                     sn = is_dv ? p.dv_stride_n : p.dk_stride_n;
  const int kv_heads = p.heads / p.kv_group, chunks = p.head_dim / 8;
  const std::int64_t total = static_cast<std::int64_t>(p.batch) * kv_heads * p.seqlen_kv * chunks;
  for (std::int64_t idx = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x; idx < total;
       idx += static_cast<std::int64_t>(gridDim.x) * kThreads) {
    const std::int64_t row = idx / chunks;  // over [B*Hkv, Nk]
    const int c = static_cast<int>(idx % chunks);
    const std::int64_t bh = row / p.seqlen_kv, j = row % p.seqlen_kv;
    const std::int64_t b = bh / kv_heads, h = bh % kv_heads;
    const SeqRange seq = seq_range(p, static_cast<int>(b));
    if (j >= seq.nk) continue;  // varlen: past a shorter sequence (its accumulator rows hold zeros)
    // dK already carries the softmax scale (the main kernel adds it scaled): 1 here, exact.
    store_scaled8<T>(src_base + row * p.head_dim + c * 8, 1.0f, dst_base + b * sb + h * sh + (seq.row0 + j) * sn + c * 8);
  }
}

}  // namespace

void launch_zero_dkv_accum(const FlashBwdParams& p, const Workspace& ws, void* stream) {
  const auto bytes = static_cast<std::size_t>(accum_elements(p)) * sizeof(float);
  auto s = static_cast<cudaStream_t>(stream);
  FA_CUDA_CHECK(cudaMemsetAsync(ws.dk_accum, 0, bytes, s));
  FA_CUDA_CHECK(cudaMemsetAsync(ws.dv_accum, 0, bytes, s));
}

void launch_dkv_convert(const FlashBwdParams& p, const Workspace& ws, void* stream) {
  std::int64_t blocks = (accum_elements(p) / 8 + kThreads - 1) / kThreads;
  if (blocks > 65536 * 4) blocks = 65536 * 4;  // grid-stride beyond this
  const dim3 grid(static_cast<unsigned>(blocks), 2);
  auto s = static_cast<cudaStream_t>(stream);
  if (p.dtype == DType::bf16) {
    dkv_convert_kernel<__nv_bfloat16><<<grid, kThreads, 0, s>>>(p, ws.dk_accum, ws.dv_accum);
  } else {
    dkv_convert_kernel<__half><<<grid, kThreads, 0, s>>>(p, ws.dk_accum, ws.dv_accum);
  }
  FA_CUDA_CHECK_LAUNCH();
}

}  // namespace fa::flash::bwd
