#pragma once
// Device pieces both flash3 kernels (forward and backward) are built from: the swizzled shared-memory
// tile layout TMA writes and wgmma reads, the re-packing of a wgmma fp32 accumulator into A-operand
// registers, stage rings, shared-memory stores. Device code only.
#include <cstdint>

#include "core/pack_half2.cuh"

namespace fa::flash3 {

constexpr float kNegInf = -__builtin_huge_valf();

__device__ __forceinline__ void st_shared_u32(std::uint32_t addr, std::uint32_t v) {
  asm volatile("st.shared.b32 [%0], %1;\n" ::"r"(addr), "r"(v) : "memory");
}

__device__ __forceinline__ void st_shared_f32x2(std::uint32_t addr, float a, float b) {
  asm volatile("st.shared.v2.f32 [%0], {%1, %2};\n" ::"r"(addr), "f"(a), "f"(b) : "memory");
}

__device__ __forceinline__ float2 ld_shared_f32x2(std::uint32_t addr) {
  float2 v;
  asm volatile("ld.shared.v2.f32 {%0, %1}, [%2];\n" : "=f"(v.x), "=f"(v.y) : "r"(addr) : "memory");
  return v;
}

// Byte offset of 16-bit element (row, col) in a swizzled tile stored as regions of kSwz columns
// (kSwz = 64: 128-byte rows, 128-byte swizzle; kSwz = 32: 64-byte rows, 64-byte swizzle), each region
// `region_bytes` long: the layout of a TMA box with that swizzle, and a canonical wgmma layout.
template <int kSwz>
__device__ __forceinline__ std::uint32_t swizzled_offset(int row, int col, int region_bytes) {
  const int region = col / kSwz, c = col % kSwz;
  const int sw = kSwz == 64 ? (row & 7) : ((row >> 1) & 3);
  return region * region_bytes + row * (kSwz * 2) + (((c >> 3) ^ sw) << 4) + (c & 7) * 2;
}

// The same for fp32 elements in regions of 32 columns (128-byte rows, 128-byte swizzle) of
// `region_bytes`: the layout of an fp32 TMA box of 32 columns.
__device__ __forceinline__ std::uint32_t swizzled_offset_f32(int row, int col, int region_bytes) {
  const int region = col / 32, c = col % 32;
  return region * region_bytes + row * 128 + (((c >> 2) ^ (row & 7)) << 4) + (c & 3) * 4;
}

// An m64nN fp32 accumulator (N / 2 floats per thread) rounded to 16 bits as the A operand of a k = N
// wgmma: the accumulator layout of an m64n16 slice is the register-A layout of an m64k16 fragment, so
// this is packing only, no shuffles.
template <int N, class T>
__device__ __forceinline__ void acc_to_a(const float (&s)[N / 2], std::uint32_t (&pr)[N / 16][4]) {
#pragma unroll
  for (int kk = 0; kk < N / 16; ++kk) {
    pr[kk][0] = pack_half2<T>(s[8 * kk + 0], s[8 * kk + 1]);
    pr[kk][1] = pack_half2<T>(s[8 * kk + 2], s[8 * kk + 3]);
    pr[kk][2] = pack_half2<T>(s[8 * kk + 4], s[8 * kk + 5]);
    pr[kk][3] = pack_half2<T>(s[8 * kk + 6], s[8 * kk + 7]);
  }
}

// Position in a ring of stages: index and the parity of the current pass over the ring.
template <int kStages>
struct RingPos {
  int stage = 0;
  std::uint32_t phase = 0;
  __device__ void advance() {
    if (++stage == kStages) {
      stage = 0;
      phase ^= 1u;
    }
  }
};

}  // namespace fa::flash3
