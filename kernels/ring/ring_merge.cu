// Element-wise kernels of the ring (ring_merge.hpp). They touch O(B*H*n*D) elements per ring step,
// against the O(B*H*n*n*D) of the flash launch they follow: bandwidth-bound and small. The merge and
// the accumulate map the rows of a compact window result onto the accumulator's rows (RowWindow).
#include "kernels/ring/ring_merge.hpp"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>

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

// Row t of a compact window result is accumulator row (t / rows) * group_rows + first + t % rows;
// row t itself when the window is all rows (no 64-bit divisions on the contiguous sharding's path).
struct WindowMap {
  std::int64_t group_rows, first, rows;
  bool all;
  __device__ std::int64_t acc_row(std::int64_t t) const {
    return all ? t : (t / rows) * group_rows + first + t % rows;
  }
};

// One warp per window row: every lane reads the row's two lse values, the lanes share the D columns,
// and lane 0 writes the new lse after the warp is done with the old one.
template <class T>
__global__ void merge_kernel(float* o_acc, float* lse_acc, const T* o_step, const float* lse_step, WindowMap map,
                             std::int64_t step_rows, std::int64_t d, bool first) {
  const int lane = threadIdx.x & 31;
  const std::int64_t warps = std::int64_t{gridDim.x} * (kThreads / 32);
  for (std::int64_t t = std::int64_t{blockIdx.x} * (kThreads / 32) + (threadIdx.x >> 5); t < step_rows;
       t += warps) {
    const std::int64_t row = map.acc_row(t);
    float* oa = o_acc + row * d;
    const T* os = o_step + t * d;
    const float ls = lse_step[t];
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

// Quad i of the compact step is quad (map.acc_row(i / row_quads) * row_quads + i % row_quads) of acc.
template <class T>
__global__ void accumulate_kernel(float4* acc, const Quad<T>* step, WindowMap map, std::int64_t row_quads,
                                  std::int64_t quads, bool first) {
  for (std::int64_t i = std::int64_t{blockIdx.x} * kThreads + threadIdx.x; i < quads;
       i += std::int64_t{gridDim.x} * kThreads) {
    const Quad<T> s = step[i];
    float4* a_ptr = acc + map.acc_row(i / row_quads) * row_quads + i % row_quads;
    float4 a = first ? make_float4(0.f, 0.f, 0.f, 0.f) : *a_ptr;
    a.x += to_float(s.v[0]);
    a.y += to_float(s.v[1]);
    a.z += to_float(s.v[2]);
    a.w += to_float(s.v[3]);
    *a_ptr = a;
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

WindowMap map_of(const RowWindow& w, bool first) {
  if (w.groups < 0 || w.rows < 0 || w.first < 0 || w.first + w.rows > w.group_rows) {
    throw std::logic_error("ring: a merge window outside the accumulator's rows");
  }
  // An accumulator initialised from a partial window would keep stale rows outside it.
  if (first && !w.is_all()) throw std::logic_error("ring: the first merge into an accumulator must cover all rows");
  return {w.group_rows, w.first, w.rows > 0 ? w.rows : 1, w.is_all()};
}

}  // namespace

void merge_partial(float* o_acc, float* lse_acc, const void* o_step, const float* lse_step, const RowWindow& window,
                   std::int64_t head_dim, DType dtype, bool first, cudaStream_t stream) {
  const WindowMap map = map_of(window, first);
  const std::int64_t rows = window.groups * window.rows;
  if (rows == 0) return;
  const unsigned blocks = blocks_for(rows * 32);
  if (dtype == DType::bf16) {
    merge_kernel<<<blocks, kThreads, 0, stream>>>(o_acc, lse_acc, static_cast<const __nv_bfloat16*>(o_step), lse_step,
                                                  map, rows, head_dim, first);
  } else {
    merge_kernel<<<blocks, kThreads, 0, stream>>>(o_acc, lse_acc, static_cast<const __half*>(o_step), lse_step, map,
                                                  rows, head_dim, first);
  }
  FA_CUDA_CHECK_LAUNCH();
}

void accumulate(float* acc, const void* step, const RowWindow& window, std::int64_t row_length, DType dtype,
                bool first, cudaStream_t stream) {
  const WindowMap map = map_of(window, first);
  if (row_length % 4 != 0) throw std::logic_error("ring: accumulate needs rows of a multiple of 4 elements");
  const std::int64_t row_quads = row_length / 4;
  const std::int64_t quads = window.groups * window.rows * row_quads;
  if (quads == 0) return;
  auto* a = reinterpret_cast<float4*>(acc);
  if (dtype == DType::bf16) {
    accumulate_kernel<<<blocks_for(quads), kThreads, 0, stream>>>(a, static_cast<const Quad<__nv_bfloat16>*>(step),
                                                                  map, row_quads, quads, first);
  } else {
    accumulate_kernel<<<blocks_for(quads), kThreads, 0, stream>>>(a, static_cast<const Quad<__half>*>(step), map,
                                                                  row_quads, quads, first);
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
