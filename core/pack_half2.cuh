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

}  // namespace fa
