#pragma once
// Two floats rounded to a packed pair of 16-bit values (lo in the low half), the layout of tensor-core
// operand registers and of 4-byte stores of two neighbouring elements. T = __half or __nv_bfloat16.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

namespace fa {

template <class T>
__device__ __forceinline__ std::uint32_t pack_half2(float lo, float hi) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<std::uint32_t*>(&v);
  } else {
    __half2 v = __floats2half2_rn(lo, hi);
    return *reinterpret_cast<std::uint32_t*>(&v);
  }
}

// Eight fp32 values (two 16-byte loads from `src`, 16-byte aligned) times `scale`, rounded to 16 bits
// and stored with one 16-byte store to `dst`: how the backward passes convert their fp32 accumulators.
template <class T>
__device__ __forceinline__ void store_scaled8(const float* src, float scale, T* dst) {
  const float4 lo = reinterpret_cast<const float4*>(src)[0], hi = reinterpret_cast<const float4*>(src)[1];
  uint4 out;
  out.x = pack_half2<T>(lo.x * scale, lo.y * scale);
  out.y = pack_half2<T>(lo.z * scale, lo.w * scale);
  out.z = pack_half2<T>(hi.x * scale, hi.y * scale);
  out.w = pack_half2<T>(hi.z * scale, hi.w * scale);
  *reinterpret_cast<uint4*>(dst) = out;
}

}  // namespace fa
