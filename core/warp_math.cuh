#pragma once
// Small device helpers every tensor-core attention kernel uses: shared-memory addresses for PTX,
// exp2 on the SFU, and reductions over the 4 lanes of a quad (where the mma.sync and wgmma accumulator
// layouts keep one row's columns of a warp).
#include <cstdint>

namespace fa {

inline constexpr float kLog2e = 1.4426950408889634f;
inline constexpr float kLn2 = 0.6931471805599453f;

#if defined(__CUDACC__)
__device__ __forceinline__ std::uint32_t smem_u32(const void* p) {
  return static_cast<std::uint32_t>(__cvta_generic_to_shared(p));
}

// ex2.approx.ftz: ~2 ulp, denormals flushed, exp2(-inf) = 0. Softmax is written as
// exp2(x * scale * log2(e) - m * scale * log2(e)) so one FFMA feeds one MUFU.EX2.
__device__ __forceinline__ float exp2_approx(float x) {
  float y;
  asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
  return y;
}

// %tid.x and %ctaid.x through volatile asm: the compiler cannot hoist these reads, so what a kernel derives
// from them is recomputed where it is used instead of occupying registers across a register-bound loop.
__device__ __forceinline__ unsigned tid_x_volatile() {
  unsigned v;
  asm volatile("mov.u32 %0, %%tid.x;\n" : "=r"(v));
  return v;
}
__device__ __forceinline__ unsigned ctaid_x_volatile() {
  unsigned v;
  asm volatile("mov.u32 %0, %%ctaid.x;\n" : "=r"(v));
  return v;
}

// Every lane of the quad (lanes sharing lane / 4) gets the result.
__device__ __forceinline__ float quad_max(float x) {
  x = fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 1));
  return fmaxf(x, __shfl_xor_sync(0xffffffffu, x, 2));
}

__device__ __forceinline__ float quad_sum(float x) {
  x += __shfl_xor_sync(0xffffffffu, x, 1);
  return x + __shfl_xor_sync(0xffffffffu, x, 2);
}
#endif

}  // namespace fa
