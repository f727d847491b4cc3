// Fused causal mask + softmax + dropout over the rows of S, writing P and the per-row log-sum-exp.
// Memory-bound: the target is one read of S and one write of P in 16-byte vectors. A row is held in
// registers (up to 64 floats per thread) by one warp, or by up to 8 warps for long rows; rows longer
// than that stream twice over S (online max/sum, then normalise), which L2 partly absorbs.
#include <cuda_runtime.h>

#include <cmath>
#include <stdexcept>

#include "core/cuda_check.hpp"
#include "kernels/standard/dropout_factors.cuh"
#include "kernels/standard/row_kernels.hpp"
#include "kernels/standard/vec_io.cuh"

namespace fa::standard {
namespace {

constexpr float kNegInf = -INFINITY;

// Max / sum over the TPR threads that share a row. For TPR > 32 the block holds exactly one row.
// Each call site gets its own shared slot array (Tag), so no barrier is needed before reuse.
template <int TPR, int Tag>
__device__ __forceinline__ float row_reduce(float v, bool is_max) {
  v = is_max ? warp_max(v) : warp_sum(v);
  if constexpr (TPR > 32) {
    __shared__ float slots[TPR / 32];
    if (threadIdx.x % 32 == 0) slots[threadIdx.x / 32] = v;
    __syncthreads();
    v = slots[0];
#pragma unroll
    for (int w = 1; w < TPR / 32; ++w) v = is_max ? fmaxf(v, slots[w]) : v + slots[w];
  }
  return v;
}

template <int TPR>
constexpr int rows_per_block() {
  return TPR == 32 ? 4 : 1;
}

template <typename T>
__device__ __forceinline__ void zero_row(T* prow, int nvec, int t, int threads) {
  constexpr int V = VecIO<T>::kWidth;
  float z[V];
#pragma unroll
  for (int e = 0; e < V; ++e) z[e] = 0.0f;
  for (int v = t; v < nvec; v += threads) VecIO<T>::store(prow + static_cast<std::int64_t>(v) * V, z);
}

// Register-resident row: thread t of the row owns vectors t, t + TPR, ..., t + (CH-1)*TPR, so each
// of the CH loads is coalesced across the row's threads. Only visible vectors are read.
template <typename T, int TPR, int CH>
__global__ void __launch_bounds__(TPR* rows_per_block<TPR>())
    softmax_forward_resident(const T* __restrict__ s, T* __restrict__ p, float* __restrict__ lse, RowGeometry g,
                             DropoutSpec drop) {
  constexpr int V = VecIO<T>::kWidth;
  constexpr int kRows = rows_per_block<TPR>();
  const int t = static_cast<int>(threadIdx.x) % TPR;
  const std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * kRows + threadIdx.x / TPR;
  if (row >= g.rows) return;  // for TPR > 32 the whole block shares the row: uniform exit
  const RowPos pos = decode_row(g, row);
  const int vis = visible_columns(g, pos.i);
  const int nvec = g.ld / V;
  const T* srow = s + row * g.ld;
  T* prow = p + row * g.ld;
  if (vis == 0) {  // fully masked row: P = 0, lse = -inf (its O row is then 0 through the matmul)
    zero_row(prow, nvec, t, TPR);
    if (t == 0) lse[row] = kNegInf;
    return;
  }

  float x[CH][V];
#pragma unroll
  for (int c = 0; c < CH; ++c) {
    const int col0 = (c * TPR + t) * V;
    if (col0 < vis) {
      VecIO<T>::load(srow + col0, x[c]);
#pragma unroll
      for (int e = 0; e < V; ++e)
        if (col0 + e >= vis) x[c][e] = kNegInf;
    } else {
#pragma unroll
      for (int e = 0; e < V; ++e) x[c][e] = kNegInf;
    }
  }
  float mx = kNegInf;
#pragma unroll
  for (int c = 0; c < CH; ++c)
#pragma unroll
    for (int e = 0; e < V; ++e) mx = fmaxf(mx, x[c][e]);
  mx = row_reduce<TPR, 0>(mx, true);

  // exp(x - mx) as exp2(x*log2e - mx*log2e): one FFMA and one MUFU per element.
  const float mx_l2 = mx * kLog2e;
  float sum = 0.0f;
#pragma unroll
  for (int c = 0; c < CH; ++c)
#pragma unroll
    for (int e = 0; e < V; ++e) {
      x[c][e] = exp2f(fmaf(x[c][e], kLog2e, -mx_l2));
      sum += x[c][e];
    }
  sum = row_reduce<TPR, 1>(sum, false);
  if (t == 0) lse[row] = mx + logf(sum);

  const float inv = 1.0f / sum;
#pragma unroll
  for (int c = 0; c < CH; ++c) {
    const int v = c * TPR + t;
    const int col0 = v * V;
    float f[V];
    element_factors<V>(drop, pos, col0, f);  // by the whole warp (dropout_factors.cuh)
    if (v >= nvec) continue;
    float out[V];
    if (col0 < vis) {
#pragma unroll
      for (int e = 0; e < V; ++e) out[e] = x[c][e] * inv * f[e];  // masked columns: x = 0 already
    } else {
#pragma unroll
      for (int e = 0; e < V; ++e) out[e] = 0.0f;
    }
    VecIO<T>::store(prow + col0, out);
  }
}

// Combine two (max, sum of exp(x - max)) pairs; an empty pair has max = -inf and sum = 0.
__device__ __forceinline__ void merge_online(float& m, float& l, float m2, float l2) {
  const float mn = fmaxf(m, m2);
  if (mn == kNegInf) return;
  l = l * exp2f((m - mn) * kLog2e) + l2 * exp2f((m2 - mn) * kLog2e);
  m = mn;
}

// Rows too long for registers: one 256-thread block per row, pass 1 computes the row's max and sum
// online, pass 2 re-reads S (mostly from L2) and writes P = exp(S - lse) * dropout.
constexpr int kStreamThreads = 256;

template <typename T>
__global__ void __launch_bounds__(kStreamThreads)
    softmax_forward_streaming(const T* __restrict__ s, T* __restrict__ p, float* __restrict__ lse, RowGeometry g,
                              DropoutSpec drop) {
  constexpr int V = VecIO<T>::kWidth;
  const int t = static_cast<int>(threadIdx.x);
  const std::int64_t row = blockIdx.x;
  const RowPos pos = decode_row(g, row);
  const int vis = visible_columns(g, pos.i);
  const int nvec = g.ld / V;
  const T* srow = s + row * g.ld;
  T* prow = p + row * g.ld;
  if (vis == 0) {
    zero_row(prow, nvec, t, kStreamThreads);
    if (t == 0) lse[row] = kNegInf;
    return;
  }
  const int nvec_vis = (vis + V - 1) / V;
  float m = kNegInf, l = 0.0f;
  for (int v = t; v < nvec_vis; v += kStreamThreads) {
    float x[V];
    VecIO<T>::load(srow + v * V, x);
    float vm = kNegInf;
#pragma unroll
    for (int e = 0; e < V; ++e) {
      if (v * V + e >= vis) x[e] = kNegInf;
      vm = fmaxf(vm, x[e]);
    }
    float vl = 0.0f;
#pragma unroll
    for (int e = 0; e < V; ++e) vl += exp2f((x[e] - vm) * kLog2e);
    merge_online(m, l, vm, vl);
  }
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) {
    const float m2 = __shfl_xor_sync(0xffffffffu, m, off);
    const float l2 = __shfl_xor_sync(0xffffffffu, l, off);
    merge_online(m, l, m2, l2);
  }
  __shared__ float sm[kStreamThreads / 32], sl[kStreamThreads / 32];
  if (t % 32 == 0) {
    sm[t / 32] = m;
    sl[t / 32] = l;
  }
  __syncthreads();
  m = sm[0];
  l = sl[0];
  for (int w = 1; w < kStreamThreads / 32; ++w) merge_online(m, l, sm[w], sl[w]);
  const float row_lse = m + logf(l);
  if (t == 0) lse[row] = row_lse;

  const float lse_l2 = row_lse * kLog2e;
  // Whole warps iterate while any lane has a vector: the dropout factors need the whole warp.
  const int lane = t % 32;
  for (int v = t; v - lane < nvec; v += kStreamThreads) {
    const int col0 = v * V;
    float f[V];
    element_factors<V>(drop, pos, col0, f);
    if (v >= nvec) continue;
    float out[V];
    if (col0 < vis) {
      VecIO<T>::load(srow + col0, out);
#pragma unroll
      for (int e = 0; e < V; ++e)
        out[e] = col0 + e < vis ? exp2f(fmaf(out[e], kLog2e, -lse_l2)) * f[e] : 0.0f;
    } else {
#pragma unroll
      for (int e = 0; e < V; ++e) out[e] = 0.0f;
    }
    VecIO<T>::store(prow + col0, out);
  }
}

template <typename T, int TPR, int CH>
void launch_resident(const T* s, T* p, float* lse, const RowGeometry& g, const DropoutSpec& d, cudaStream_t st) {
  constexpr int kRows = rows_per_block<TPR>();
  const std::int64_t blocks = (g.rows + kRows - 1) / kRows;
  softmax_forward_resident<T, TPR, CH><<<static_cast<unsigned>(blocks), TPR * kRows, 0, st>>>(s, p, lse, g, d);
}

// Vectors per thread: a row is at most 64 floats per thread so it stays in registers.
template <typename T>
constexpr int max_vectors_per_thread() {
  return 64 / VecIO<T>::kWidth;
}
constexpr int kMaxThreadsPerRow = 256;

template <typename T>
void forward_typed(const void* sv, void* pv, float* lse, const RowGeometry& g, const DropoutSpec& d, cudaStream_t st) {
  const T* s = static_cast<const T*>(sv);
  T* p = static_cast<T*>(pv);
  constexpr int V = VecIO<T>::kWidth;
  constexpr int kCh = max_vectors_per_thread<T>();
  const std::int64_t nvec = g.ld / V;
  if (nvec <= 32) return launch_resident<T, 32, 1>(s, p, lse, g, d, st);
  if (nvec <= 64) return launch_resident<T, 32, 2>(s, p, lse, g, d, st);
  if (nvec <= 128) return launch_resident<T, 32, 4>(s, p, lse, g, d, st);
  if (nvec <= 256) return launch_resident<T, 32, 8>(s, p, lse, g, d, st);
  if constexpr (kCh >= 16) {
    if (nvec <= 512) return launch_resident<T, 32, 16>(s, p, lse, g, d, st);
  }
  if (nvec <= 64 * kCh) return launch_resident<T, 64, kCh>(s, p, lse, g, d, st);
  if (nvec <= 128 * kCh) return launch_resident<T, 128, kCh>(s, p, lse, g, d, st);
  if (nvec <= kMaxThreadsPerRow * kCh) return launch_resident<T, kMaxThreadsPerRow, kCh>(s, p, lse, g, d, st);
  softmax_forward_streaming<T><<<static_cast<unsigned>(g.rows), kStreamThreads, 0, st>>>(s, p, lse, g, d);
}

}  // namespace

std::int64_t padded_row_elements(DType d, std::int64_t nk) {
  const std::int64_t per16 = 16 / static_cast<std::int64_t>(dtype_bytes(d));
  return (nk + per16 - 1) / per16 * per16;
}

void softmax_forward(DType d, const void* s, void* p, float* lse, const RowGeometry& g, const DropoutSpec& drop,
                     void* stream) {
  if (g.rows == 0) return;
  const auto st = static_cast<cudaStream_t>(stream);
  switch (d) {
    case DType::fp32: forward_typed<float>(s, p, lse, g, drop, st); break;
    case DType::fp16: forward_typed<__half>(s, p, lse, g, drop, st); break;
    case DType::bf16: forward_typed<__nv_bfloat16>(s, p, lse, g, drop, st); break;
    case DType::fp8: throw std::invalid_argument("standard: no fp8 path");  // refused before any launch
  }
  FA_CUDA_CHECK_LAUNCH();
}

}  // namespace fa::standard
