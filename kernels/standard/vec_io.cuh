#pragma once
// 16-byte vector loads and stores of score rows, converted to and from float registers:
// 8 elements for fp16/bf16, 4 for fp32. Every row of the score buffers starts 16-byte aligned
// (row_kernels.hpp: padded ld), so a vector never straddles a row.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "core/warp_math.cuh"

namespace fa::standard {

template <typename T>
struct VecIO;

template <>
struct VecIO<float> {
  static constexpr int kWidth = 4;
  static __device__ __forceinline__ void load(const float* p, float (&x)[4]) {
    const float4 v = *reinterpret_cast<const float4*>(p);
    x[0] = v.x;
    x[1] = v.y;
    x[2] = v.z;
    x[3] = v.w;
  }
  static __device__ __forceinline__ void store(float* p, const float (&x)[4]) {
    *reinterpret_cast<float4*>(p) = make_float4(x[0], x[1], x[2], x[3]);
  }
};

// fp16 and bf16 share the shape: one uint4 holds four 2-element pairs.
template <typename T, typename T2, float2 (*ToFloat2)(T2), T2 (*FromFloats)(float, float)>
struct VecIO16 {
  static constexpr int kWidth = 8;
  static __device__ __forceinline__ void load(const T* p, float (&x)[8]) {
    const uint4 raw = *reinterpret_cast<const uint4*>(p);
    const T2* pairs = reinterpret_cast<const T2*>(&raw);
#pragma unroll
    for (int k = 0; k < 4; ++k) {
      const float2 f = ToFloat2(pairs[k]);
      x[2 * k] = f.x;
      x[2 * k + 1] = f.y;
    }
  }
  static __device__ __forceinline__ void store(T* p, const float (&x)[8]) {
    uint4 raw;
    T2* pairs = reinterpret_cast<T2*>(&raw);
#pragma unroll
    for (int k = 0; k < 4; ++k) pairs[k] = FromFloats(x[2 * k], x[2 * k + 1]);
    *reinterpret_cast<uint4*>(p) = raw;
  }
};

__device__ __forceinline__ float2 half2_to_float2(__half2 v) { return __half22float2(v); }
__device__ __forceinline__ __half2 floats_to_half2(float a, float b) { return __floats2half2_rn(a, b); }
__device__ __forceinline__ float2 bf162_to_float2(__nv_bfloat162 v) { return __bfloat1622float2(v); }
__device__ __forceinline__ __nv_bfloat162 floats_to_bf162(float a, float b) { return __floats2bfloat162_rn(a, b); }

template <>
struct VecIO<__half> : VecIO16<__half, __half2, half2_to_float2, floats_to_half2> {};
template <>
struct VecIO<__nv_bfloat16> : VecIO16<__nv_bfloat16, __nv_bfloat162, bf162_to_float2, floats_to_bf162> {};

// Scalar conversions (row_dot reads O and dO element-wise).
__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(__half v) { return __half2float(v); }
__device__ __forceinline__ float to_float(__nv_bfloat16 v) { return __bfloat162float(v); }

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) v += __shfl_xor_sync(0xffffffffu, v, off);
  return v;
}
__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int off = 16; off > 0; off >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, off));
  return v;
}

using fa::kLog2e;

}  // namespace fa::standard
