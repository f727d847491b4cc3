// Backward element-wise passes over the score-shaped buffers, and delta = rowsum(dO * O).
// With lse and delta known per row, every element of dS (or of the recomputed dropped P) depends
// only on its own S/P and dP, so these are streaming kernels: each warp takes a segment of
// 32 x kUnroll vectors of one row, issuing all its loads before the arithmetic.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/cuda_check.hpp"
#include "kernels/standard/dropout_factors.cuh"
#include "kernels/standard/row_kernels.hpp"
#include "kernels/standard/vec_io.cuh"

namespace fa::standard {
namespace {

constexpr int kThreads = 256;
constexpr int kWarps = kThreads / 32;
constexpr int kUnroll = 4;
// Grid cap for the grid-stride loops (plenty of blocks to fill any GPU several times over).
constexpr std::int64_t kMaxBlocks = 1 << 20;

template <typename T, GradMode M>
__global__ void __launch_bounds__(kThreads)
    softmax_backward_kernel(const T* __restrict__ x, const T* dp, T* out, const float* __restrict__ lse,
                            const float* __restrict__ delta, RowGeometry g, DropoutSpec drop, std::int64_t segs_per_row) {
  constexpr int V = VecIO<T>::kWidth;
  constexpr bool kNeedsDp = M != GradMode::dropped_probs;
  constexpr bool kFromScores = M != GradMode::grad_from_probs;
  const int lane = static_cast<int>(threadIdx.x) % 32;
  const int nvec = g.ld / V;
  const std::int64_t tasks = g.rows * segs_per_row;
  const std::int64_t warp_stride = static_cast<std::int64_t>(gridDim.x) * kWarps;
  for (std::int64_t task = static_cast<std::int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32; task < tasks;
       task += warp_stride) {
    const std::int64_t row = task / segs_per_row;
    const int seg = static_cast<int>(task - row * segs_per_row);
    const RowPos pos = decode_row(g, row);
    const int vis = visible_columns(g, pos.i);
    const std::int64_t base = row * g.ld;
    const float lse_l2 = kFromScores && vis > 0 ? lse[row] * kLog2e : 0.0f;
    const float row_delta = kNeedsDp ? delta[row] : 0.0f;

    float xv[kUnroll][V], dv[kUnroll][V];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int col0 = ((seg * kUnroll + u) * 32 + lane) * V;
      if (col0 < vis) {
        VecIO<T>::load(x + base + col0, xv[u]);
        if constexpr (kNeedsDp) VecIO<T>::load(dp + base + col0, dv[u]);
      }
    }
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) {
      const int v = (seg * kUnroll + u) * 32 + lane;
      const int col0 = v * V;
      float f[V];
      element_factors<V>(drop, pos, col0, f);  // by the whole warp (dropout_factors.cuh)
      if (v >= nvec) continue;
      float o[V];
      if (col0 < vis) {
#pragma unroll
        for (int e = 0; e < V; ++e) {
          const float prob = kFromScores ? exp2f(fmaf(xv[u][e], kLog2e, -lse_l2)) : xv[u][e];
          float r;
          if constexpr (M == GradMode::dropped_probs) {
            r = prob * f[e];
          } else {
            // dS = P * (dP_dropped * keep/(1-p) - delta); see standard_kernel.cpp for the algebra.
            r = prob * fmaf(dv[u][e], f[e], -row_delta);
          }
          o[e] = col0 + e < vis ? r : 0.0f;  // masked tail of a partly visible vector
        }
      } else {
#pragma unroll
        for (int e = 0; e < V; ++e) o[e] = 0.0f;
      }
      VecIO<T>::store(out + base + col0, o);
    }
  }
}

// delta[row] = sum_d dO[row, d] * O[row, d]: one warp per row (D is contiguous, so the lanes'
// scalar loads coalesce); this touches only 2 * B*H*Nq*D elements, a small fraction of the pass.
template <typename T>
__global__ void __launch_bounds__(kThreads) row_dot_kernel(RowDotArgs a, float* __restrict__ delta, RowGeometry g) {
  const T* o = static_cast<const T*>(a.o);
  const T* dout = static_cast<const T*>(a.dout);
  const int lane = static_cast<int>(threadIdx.x) % 32;
  const std::int64_t warp_stride = static_cast<std::int64_t>(gridDim.x) * kWarps;
  for (std::int64_t row = static_cast<std::int64_t>(blockIdx.x) * kWarps + threadIdx.x / 32; row < g.rows;
       row += warp_stride) {
    const RowPos pos = decode_row(g, row);
    const T* orow = o + pos.b * a.o_stride_b + pos.h * a.o_stride_h + pos.i * a.o_stride_n;
    const T* drow = dout + pos.b * a.do_stride_b + pos.h * a.do_stride_h + pos.i * a.do_stride_n;
    float acc = 0.0f;
    for (int d = lane; d < a.head_dim; d += 32) acc = fmaf(to_float(orow[d]), to_float(drow[d]), acc);
    acc = warp_sum(acc);
    if (lane == 0) delta[row] = acc;
  }
}

unsigned blocks_for_warps(std::int64_t warp_tasks) {
  return static_cast<unsigned>(std::clamp<std::int64_t>((warp_tasks + kWarps - 1) / kWarps, 1, kMaxBlocks));
}

template <typename T, GradMode M>
void launch_backward(const void* x, const void* dp, void* out, const float* lse, const float* delta,
                     const RowGeometry& g, const DropoutSpec& drop, cudaStream_t st) {
  constexpr int V = VecIO<T>::kWidth;
  const std::int64_t nvec = g.ld / V;
  const std::int64_t segs = (nvec + 32 * kUnroll - 1) / (32 * kUnroll);
  softmax_backward_kernel<T, M><<<blocks_for_warps(g.rows * segs), kThreads, 0, st>>>(
      static_cast<const T*>(x), static_cast<const T*>(dp), static_cast<T*>(out), lse, delta, g, drop, segs);
}

template <typename T>
void backward_typed(GradMode mode, const void* x, const void* dp, void* out, const float* lse, const float* delta,
                    const RowGeometry& g, const DropoutSpec& drop, cudaStream_t st) {
  switch (mode) {
    case GradMode::dropped_probs:
      return launch_backward<T, GradMode::dropped_probs>(x, dp, out, lse, delta, g, drop, st);
    case GradMode::grad_from_probs:
      return launch_backward<T, GradMode::grad_from_probs>(x, dp, out, lse, delta, g, drop, st);
    case GradMode::grad_from_scores:
      return launch_backward<T, GradMode::grad_from_scores>(x, dp, out, lse, delta, g, drop, st);
  }
}

}  // namespace

void softmax_backward(DType d, GradMode mode, const void* x, const void* dp, void* out, const float* lse,
                      const float* delta, const RowGeometry& g, const DropoutSpec& drop, void* stream) {
  if (g.rows == 0) return;
  const auto st = static_cast<cudaStream_t>(stream);
  switch (d) {
    case DType::fp32: backward_typed<float>(mode, x, dp, out, lse, delta, g, drop, st); break;
    case DType::fp16: backward_typed<__half>(mode, x, dp, out, lse, delta, g, drop, st); break;
    case DType::bf16: backward_typed<__nv_bfloat16>(mode, x, dp, out, lse, delta, g, drop, st); break;
    case DType::fp8: throw std::invalid_argument("standard: no fp8 path");  // refused before any launch
  }
  FA_CUDA_CHECK_LAUNCH();
}

void row_dot(DType d, const RowDotArgs& a, float* delta, const RowGeometry& g, void* stream) {
  if (g.rows == 0) return;
  const auto st = static_cast<cudaStream_t>(stream);
  const unsigned blocks = blocks_for_warps(g.rows);
  switch (d) {
    case DType::fp32: row_dot_kernel<float><<<blocks, kThreads, 0, st>>>(a, delta, g); break;
    case DType::fp16: row_dot_kernel<__half><<<blocks, kThreads, 0, st>>>(a, delta, g); break;
    case DType::bf16: row_dot_kernel<__nv_bfloat16><<<blocks, kThreads, 0, st>>>(a, delta, g); break;
    case DType::fp8: throw std::invalid_argument("standard: no fp8 path");  // refused before any launch
  }
  FA_CUDA_CHECK_LAUNCH();
}

}  // namespace fa::standard
