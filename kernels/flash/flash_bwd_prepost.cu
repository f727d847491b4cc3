// Preprocess and postprocess kernels of the flash backward: memory-bound passes around the main
// kernel. Preprocess computes delta_i = rowsum(dO_i * O_i) (fp32), copies lse into the padded
// log2-domain layout of the workspace and zeroes the fp32 dQ accumulator; postprocess scales the accumulator by the softmax scale and stores dQ in the element
// type with dQ's strides.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>
#include <type_traits>

#include "core/cuda_check.hpp"
#include "core/pack_half2.cuh"
#include "kernels/flash/flash_bwd_launch.cuh"
#include "kernels/flash/flash_varlen.cuh"

namespace fa::flash::bwd {
namespace {

constexpr int kThreads = 256;

template <class T>
__device__ __forceinline__ float2 to_float2(std::uint32_t bits) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    return __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(&bits));
  } else {
    return __half22float2(*reinterpret_cast<const __half2*>(&bits));
  }
}


// One warp per (padded) query row: 16-byte loads of O and dO, warp reduction, the row's lse in
// the log2 domain the main kernel uses, then the row of the dQ accumulator is zeroed (so a re-run
// starts from zero without a separate memset). Padding rows get delta 0 and lse2 = +inf (P = 0).
template <class T>
__global__ void __launch_bounds__(kThreads) preprocess_kernel(const FlashBwdParams p, Workspace ws) {
  const int lane = threadIdx.x & 31;
  const std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * (kThreads / 32) + (threadIdx.x >> 5);
  const std::int64_t rows = static_cast<std::int64_t>(p.batch) * p.heads * ws.nq_pad;
  if (row >= rows) return;
  const std::int64_t bh = row / ws.nq_pad, i = row % ws.nq_pad;
  const std::int64_t b = bh / p.heads, h = bh % p.heads;
  // Varlen: rows of the longest sequence; a shorter one's main-kernel tiles end within its own padding.
  const SeqRange seq = seq_range(p, static_cast<int>(b));
  if (i >= (seq.nq + kRowPad - 1) / kRowPad * kRowPad) return;
  float sum = 0.0f;
  if (i < seq.nq) {
    const std::int64_t n = seq.row0 + i;  // the token row
    const T* o = static_cast<const T*>(p.o) + b * p.o_stride_b + h * p.o_stride_h + n * p.o_stride_n;
    const T* d = static_cast<const T*>(p.dout) + b * p.do_stride_b + h * p.do_stride_h + n * p.do_stride_n;
    for (int c = lane; c < p.head_dim / 8; c += 32) {
      const uint4 ov = *reinterpret_cast<const uint4*>(o + c * 8);
      const uint4 dv = *reinterpret_cast<const uint4*>(d + c * 8);
      const std::uint32_t ow[4] = {ov.x, ov.y, ov.z, ov.w}, dw[4] = {dv.x, dv.y, dv.z, dv.w};
#pragma unroll
      for (int k = 0; k < 4; ++k) {
        const float2 a = to_float2<T>(ow[k]), e = to_float2<T>(dw[k]);
        sum = fmaf(a.x, e.x, fmaf(a.y, e.y, sum));
      }
    }
#pragma unroll
    for (int off = 16; off > 0; off >>= 1) sum += __shfl_xor_sync(0xffffffffu, sum, off);
  }
  if (lane == 0) {
    ws.delta[row] = sum;
    const float l = i < seq.nq ? p.lse[bh * p.seqlen_q + i] : -INFINITY;
    ws.lse2[row] = l == -INFINITY ? INFINITY : l * 1.4426950408889634f;
  }
  float4* acc = reinterpret_cast<float4*>(ws.dq_accum + row * p.head_dim);
  for (int c = lane; c < p.head_dim / 4; c += 32) acc[c] = make_float4(0.f, 0.f, 0.f, 0.f);
}

// One thread per 8 elements of dQ: two 16-byte loads, one 16-byte store.
template <class T>
__global__ void __launch_bounds__(kThreads) postprocess_kernel(const FlashBwdParams p, const float* dq_accum,
                                                               int nq_pad) {
  const int chunks = p.head_dim / 8;
  const std::int64_t total = static_cast<std::int64_t>(p.batch) * p.heads * p.seqlen_q * chunks;
  for (std::int64_t idx = static_cast<std::int64_t>(blockIdx.x) * kThreads + threadIdx.x; idx < total;
       idx += static_cast<std::int64_t>(gridDim.x) * kThreads) {
    const std::int64_t row = idx / chunks;
    const int c = static_cast<int>(idx % chunks);
    const std::int64_t bh = row / p.seqlen_q, i = row % p.seqlen_q;
    const std::int64_t b = bh / p.heads, h = bh % p.heads;
    const SeqRange seq = seq_range(p, static_cast<int>(b));
    if (i >= seq.nq) continue;  // varlen: past a shorter sequence
    store_scaled8<T>(dq_accum + (bh * nq_pad + i) * p.head_dim + c * 8, p.scale,
                     static_cast<T*>(p.dq) + b * p.dq_stride_b + h * p.dq_stride_h + (seq.row0 + i) * p.dq_stride_n +
                         c * 8);
  }
}

}  // namespace

void launch_preprocess(const FlashBwdParams& p, const Workspace& ws, void* stream) {
  const std::int64_t rows = static_cast<std::int64_t>(p.batch) * p.heads * ws.nq_pad;
  const std::int64_t blocks = (rows + kThreads / 32 - 1) / (kThreads / 32);
  auto s = static_cast<cudaStream_t>(stream);
  if (p.dtype == DType::bf16) {
    preprocess_kernel<__nv_bfloat16><<<static_cast<unsigned>(blocks), kThreads, 0, s>>>(p, ws);
  } else {
    preprocess_kernel<__half><<<static_cast<unsigned>(blocks), kThreads, 0, s>>>(p, ws);
  }
  FA_CUDA_CHECK_LAUNCH();
}

void launch_postprocess(const FlashBwdParams& p, const Workspace& ws, void* stream) {
  const std::int64_t total = static_cast<std::int64_t>(p.batch) * p.heads * p.seqlen_q * (p.head_dim / 8);
  std::int64_t blocks = (total + kThreads - 1) / kThreads;
  if (blocks > 65536 * 8) blocks = 65536 * 8;  // grid-stride beyond this
  auto s = static_cast<cudaStream_t>(stream);
  if (p.dtype == DType::bf16) {
    postprocess_kernel<__nv_bfloat16><<<static_cast<unsigned>(blocks), kThreads, 0, s>>>(p, ws.dq_accum, ws.nq_pad);
  } else {
    postprocess_kernel<__half><<<static_cast<unsigned>(blocks), kThreads, 0, s>>>(p, ws.dq_accum, ws.nq_pad);
  }
  FA_CUDA_CHECK_LAUNCH();
}

}  // namespace fa::flash::bwd
