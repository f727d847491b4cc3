// Element-wise kernels of the ring (ring_merge.hpp). They touch O(B*H*n*D) elements per ring step,
// against the O(B*H*n*n*D) of the flash launch they follow: bandwidth-bound and small.
#include "kernels/ring/ring_merge.hpp"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>

#include "core/cuda_check.hpp"

namespace fa::ring {
namespace {

constexpr int kThreads = 256;

unsigned blocks_for(std::int64_t work_items) {
  const std::int64_t b = (work_items + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 65536 ? (b > 0 ? b : 1) : 65536);  // grid-stride loops do the rest
}

__device__ float to_float(__half x) { return __half2float(x); }
__device__ float to_float(__nv_bfloat16 x) { return __bfloat162float(x); }
template <class T>
__device__ T from_float(float x);
template <>
__device__ __half from_float<__half>(float x) { return __float2half_rn(x); }
template <>
__device__ __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }

// Four 2-byte elements as one 8-byte load/store.
template <class T>
struct alignas(8) Quad {
  T v[4];
};

// One warp per row: every lane reads the row's two lse values, the lanes share the D columns, and
// lane 0 writes the new lse after the warp is done with the old one.
template <class T>
__global__ void merge_kernel(float* o_acc, float* lse_acc, const T* o_step, const float* lse_step, std::int64_t rows,
                             std::int64_t d, bool first) {
  const int lane = threadIdx.x & 31;
  const std::int64_t warps = std::int64_t{gridDim.x} * (kThreads / 32);
  for (std::int64_t row = std::int64_t{blockIdx.x} * (kThreads / 32) + (threadIdx.x >> 5); row < rows;
       row += warps) {
    float* oa = o_acc + row * d;
    const T* os = o_step + row * d;
    const float ls = lse_step[row];
    if (first) {
      for (std::int64_t c = lane; c < d; c += 32) oa[c] = to_float(os[c]);
      if (lane == 0) lse_acc[row] = ls;
      continue;
    }
    const float la = lse_acc[row];
    const float m = fmaxf(la, ls);
    if (m == -INFINITY) continue;  // nothing visible on either side yet: O stays 0, lse -inf
    // exp(-inf - m) = 0 gives the -inf side weight 0 (and m is finite, so no inf - inf).
    const float wa = expf(la - m), ws = expf(ls - m);
    const float sum = wa + ws;  // >= 1: the larger side has weight exp(0)
    const float ca = wa / sum, cs = ws / sum;
    for (std::int64_t c = lane; c < d; c += 32) oa[c] = oa[c] * ca + to_float(os[c]) * cs;
    __syncwarp();
    if (lane == 0) lse_acc[row] = m + logf(sum);
  }
}

template <class T>
__global__ void accumulate_kernel(float4* acc, const Quad<T>* step, std::int64_t quads, bool first) {
  for (std::int64_t i = std::int64_t{blockIdx.x} * kThreads + threadIdx.x; i < quads;
       i += std::int64_t{gridDim.x} * kThreads) {
    const Quad<T> s = step[i];
    float4 a = first ? make_float4(0.f, 0.f, 0.f, 0.f) : acc[i];
    a.x += to_float(s.v[0]);
    a.y += to_float(s.v[1]);
    a.z += to_float(s.v[2]);
    a.w += to_float(s.v[3]);
    acc[i] = a;
  }
}

template <class T>
__global__ void convert_kernel(Quad<T>* dst, const float4* src, std::int64_t quads) {
  for (std::int64_t i = std::int64_t{blockIdx.x} * kThreads + threadIdx.x; i < quads;
       i += std::int64_t{gridDim.x} * kThreads) {
    const float4 a = src[i];
    Quad<T> q;
    q.v[0] = from_float<T>(a.x);
    q.v[1] = from_float<T>(a.y);
    q.v[2] = from_float<T>(a.z);
    q.v[3] = from_float<T>(a.w);
    dst[i] = q;
  }
}

}  // namespace

void merge_partial(float* o_acc, float* lse_acc, const void* o_step, const float* lse_step, std::int64_t rows,
                   std::int64_t head_dim, DType dtype, bool first, cudaStream_t stream) {
  const unsigned blocks = blocks_for(rows * 32);
  if (dtype == DType::bf16) {
    merge_kernel<<<blocks, kThreads, 0, stream>>>(o_acc, lse_acc, static_cast<const __nv_bfloat16*>(o_step), lse_step,
                                                  rows, head_dim, first);
  } else {
    merge_kernel<<<blocks, kThreads, 0, stream>>>(o_acc, lse_acc, static_cast<const __half*>(o_step), lse_step, rows,
                                                  head_dim, first);
  }
  FA_CUDA_CHECK_LAUNCH();
}

void accumulate(float* acc, const void* step, std::int64_t count, DType dtype, bool first, cudaStream_t stream) {
  const std::int64_t quads = count / 4;
  auto* a = reinterpret_cast<float4*>(acc);
  if (dtype == DType::bf16) {
    accumulate_kernel<<<blocks_for(quads), kThreads, 0, stream>>>(a, static_cast<const Quad<__nv_bfloat16>*>(step),
                                                                  quads, first);
  } else {
    accumulate_kernel<<<blocks_for(quads), kThreads, 0, stream>>>(a, static_cast<const Quad<__half>*>(step), quads,
                                                                  first);
  }
  FA_CUDA_CHECK_LAUNCH();
}

void convert_to_dtype(void* dst, const float* src, std::int64_t count, DType dtype, cudaStream_t stream) {
  const std::int64_t quads = count / 4;
  const auto* s = reinterpret_cast<const float4*>(src);
  if (dtype == DType::bf16) {
    convert_kernel<<<blocks_for(quads), kThreads, 0, stream>>>(static_cast<Quad<__nv_bfloat16>*>(dst), s, quads);
  } else {
    convert_kernel<<<blocks_for(quads), kThreads, 0, stream>>>(static_cast<Quad<__half>*>(dst), s, quads);
  }
  FA_CUDA_CHECK_LAUNCH();
}

}  // namespace fa::ring
