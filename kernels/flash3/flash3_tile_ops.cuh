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

// Volatile, so the compiler keeps the load where it is (ExpTurns in flash3_fwd_kernel.cuh: after a barrier).
__device__ __forceinline__ std::uint32_t ld_shared_u32(std::uint32_t addr) {
  std::uint32_t v;
  asm volatile("ld.shared.u32 %0, [%1];\n" : "=r"(v) : "r"(addr) : "memory");
  return v;
}

__device__ __forceinline__ void st_shared_f32x2(std::uint32_t addr, float a, float b) {
  asm volatile("st.shared.v2.f32 [%0], {%1, %2};\n" ::"r"(addr), "f"(a), "f"(b) : "memory");
}

__device__ __forceinline__ float2 ld_shared_f32x2(std::uint32_t addr) {
  float2 v;
  asm volatile("ld.shared.v2.f32 {%0, %1}, [%2];\n" : "=f"(v.x), "=f"(v.y) : "r"(addr) : "memory");
  return v;
}

// Byte offset of byte `byte_col` of row `row` in a swizzled tile stored as regions of kSwzBytes-byte rows
// (128: 128-byte swizzle; 64: 64-byte swizzle), each region `region_bytes` long: the layout of a TMA box
// with that swizzle, and a canonical wgmma layout. The 16-byte chunks of a row are permuted by the row.
template <int kSwzBytes>
__device__ __forceinline__ std::uint32_t swizzled_offset_bytes(int row, int byte_col, int region_bytes) {
  const int region = byte_col / kSwzBytes, c = byte_col % kSwzBytes;
  const int sw = kSwzBytes == 128 ? (row & 7) : ((row >> 1) & 3);
  return region * region_bytes + row * kSwzBytes + (((c >> 4) ^ sw) << 4) + (c & 15);
}

// The same for 16-bit element (row, col) with kSwz elements per row (64: 128-byte rows; 32: 64-byte rows).
template <int kSwz>
__device__ __forceinline__ std::uint32_t swizzled_offset(int row, int col, int region_bytes) {
  return swizzled_offset_bytes<kSwz * 2>(row, col * 2, region_bytes);
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

// Four floats as e4m3 bytes of one word, a in the lowest byte (round to nearest, saturating at +-448).
__device__ __forceinline__ std::uint32_t pack_e4m3x4(float a, float b, float c, float d) {
  std::uint32_t w;
  asm("{\n.reg .b16 lo, hi;\n"
      "cvt.rn.satfinite.e4m3x2.f32 lo, %2, %1;\n"
      "cvt.rn.satfinite.e4m3x2.f32 hi, %4, %3;\n"
      "mov.b32 %0, {lo, hi};\n}\n"
      : "=r"(w)
      : "f"(a), "f"(b), "f"(c), "f"(d));
  return w;
}

// An m64nN fp32 accumulator as the e4m3 A operand of k32 wgmmas (N / 32 fragments). A k32 fragment gives
// thread t (t = lane % 4) columns 4t .. 4t + 3 and 16 + 4t .. 16 + 4t + 3 of its rows, while the accumulator
// holds columns 2t, 2t + 1 (+ 8, 16, 24) of each 32: rather than move values between threads, each word takes
// the thread's own four values of a row, {2t, 2t + 1, 8 + 2t, 9 + 2t} (and the same + 16). That permutes the
// k index of the P V product within every 32 keys; the V^T tile is written in the same permuted key order
// (flash3_v_transpose_plan.hpp: fp8_key_of_slot), so the sum over k is unchanged.
template <int N>
__device__ __forceinline__ void acc_to_a_fp8(const float (&s)[N / 2], std::uint32_t (&pr)[N / 32][4]) {
#pragma unroll
  for (int kk = 0; kk < N / 32; ++kk) {
    const float* x = s + 16 * kk;
    pr[kk][0] = pack_e4m3x4(x[0], x[1], x[4], x[5]);     // row r0, slots 4t .. 4t + 3
    pr[kk][1] = pack_e4m3x4(x[2], x[3], x[6], x[7]);     // row r0 + 8
    pr[kk][2] = pack_e4m3x4(x[8], x[9], x[12], x[13]);   // row r0, slots 16 + 4t ..
    pr[kk][3] = pack_e4m3x4(x[10], x[11], x[14], x[15]); // row r0 + 8
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
