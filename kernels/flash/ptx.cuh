#pragma once
// Thin wrappers over the PTX instructions the flash kernels (forward and backward) are built from.
// Tensor-core work uses the Ampere-style warp-level mma.sync / ldmatrix / cp.async path, which runs
// on sm_80 and sm_90 alike.
//
// Fragment layouts of mma.sync.m16n8k16 (PTX ISA "Matrix Fragments for mma.m16n8k16"), with
// g = lane / 4 (the "group", 0..7) and t = lane % 4 (the thread in its quad, 0..3):
//   A (16x16, row-major), 4 x .b32 = 8 halves:  a0 = A[g][2t..2t+1]    a1 = A[g+8][2t..2t+1]
//                                               a2 = A[g][2t+8..2t+9]  a3 = A[g+8][2t+8..2t+9]
//   B (16x8, "col" = k contiguous per n), 2 x .b32: b0 = B[2t..2t+1][g]  b1 = B[2t+8..2t+9][g]
//   C/D (16x8, fp32), 4 floats:  c0,c1 = C[g][2t], C[g][2t+1]   c2,c3 = C[g+8][2t], C[g+8][2t+1]
// So one row of an accumulator tile is spread over the 4 lanes of a quad: row reductions need
// only two xor-shuffles (quad_max / quad_sum below). An fp32 C tile re-packed pairwise to 16-bit
// (c0,c1 -> one .b32, c2,c3 -> one .b32) is exactly the A-fragment layout for the next mma, which
// is how P stays in registers between S = Q K^T and O += P V.
#include <cstdint>
#include <type_traits>

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "core/pack_half2.cuh"
#include "core/warp_math.cuh"

namespace fa::flash::ptx {

// ---------------------------------------------------------------------------------------------
// Tensor-core MMA: D = A * B + D, 16x8x16, fp32 accumulate in place.
// ---------------------------------------------------------------------------------------------
__device__ __forceinline__ void mma_m16n8k16_f16(float (&d)[4], const std::uint32_t (&a)[4],
                                                 const std::uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 "
      "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

__device__ __forceinline__ void mma_m16n8k16_bf16(float (&d)[4], const std::uint32_t (&a)[4],
                                                  const std::uint32_t (&b)[2]) {
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 "
      "{%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, {%0, %1, %2, %3};\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
}

// Dispatch on the element type (T = __half or __nv_bfloat16) so templated kernels need no if.
template <class T>
__device__ __forceinline__ void mma_m16n8k16(float (&d)[4], const std::uint32_t (&a)[4],
                                             const std::uint32_t (&b)[2]) {
  if constexpr (std::is_same_v<T, __nv_bfloat16>) {
    mma_m16n8k16_bf16(d, a, b);
  } else {
    mma_m16n8k16_f16(d, a, b);
  }
}

// ---------------------------------------------------------------------------------------------
// ldmatrix: each lane passes the shared-memory address of one 16-byte row; lanes 0-7 address the
// rows of matrix 0, 8-15 matrix 1, 16-23 matrix 2, 24-31 matrix 3. Without .trans lane l receives
// row l/4, elements 2(l%4), 2(l%4)+1 of each matrix (the A / "col" B fragment layout when rows run
// along m / n); with .trans it receives column l/4, rows 2(l%4), 2(l%4)+1 (use when the matrix is
// stored k-major, e.g. V[key][d] as the B operand of P V).
// ---------------------------------------------------------------------------------------------

__device__ __forceinline__ void ldmatrix_x4(std::uint32_t (&r)[4], std::uint32_t smem_addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr));
}

__device__ __forceinline__ void ldmatrix_x4_trans(std::uint32_t (&r)[4], std::uint32_t smem_addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr));
}

// ---------------------------------------------------------------------------------------------
// cp.async: 16-byte global -> shared copies that bypass registers (.cg: cache in L2 only, which
// suits streamed K/V tiles). With pred == false the source size is 0, so the 16 destination bytes
// are zero-filled and nothing is read: this is how rows past the sequence end become zeros
// without a separate store (gmem must still be a harmless address; pass the tensor base).
// ---------------------------------------------------------------------------------------------
__device__ __forceinline__ void cp_async_16(std::uint32_t smem_addr, const void* gmem, bool pred) {
  const int src_bytes = pred ? 16 : 0;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr), "l"(gmem),
               "r"(src_bytes));
}

// Closes the group of cp.async issued since the previous commit.
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

// Waits until at most N committed groups are still in flight (N = 0: all done). Only the calling
// thread's copies are covered: follow with __syncthreads() before other threads read the data.
template <int N>
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(N));
}

// The shared helpers (core/warp_math.cuh, core/pack_half2.cuh) under the names the flash kernels use.
using fa::exp2_approx;
using fa::kLn2;
using fa::kLog2e;
using fa::quad_max;
using fa::quad_sum;
using fa::smem_u32;

// An fp32 pair as one .b32 of two 16-bit values (lo first): mma fragment registers, 4-byte stores.
template <class T>
__device__ __forceinline__ std::uint32_t pack2(float lo, float hi) {
  return fa::pack_half2<T>(lo, hi);
}

// ---------------------------------------------------------------------------------------------
// Shared-memory tile layout with an XOR swizzle, bank-conflict free for ldmatrix (8 rows x 16 B
// per phase) and for 16-byte cp.async stores of whole rows.
//
// A tile of Rows x Cols 16-bit elements (Cols a multiple of 32) is stored as Cols / W column
// panels of Rows x W, W = 64 elements (128-byte rows) when Cols % 64 == 0, else 32 (64-byte rows;
// covers D = 96). Inside a panel the 16-byte chunk index c of row r is stored at chunk
//   W = 64: c ^ (r % 8)            (8 chunks per row: 8 consecutive rows hit 8 distinct chunks)
//   W = 32: c ^ ((r / 2) % 4)      (4 chunks per row: two rows per 128-byte line)
// so any 8 consecutive rows at one logical chunk cover all 32 banks exactly once.
// offset() is in elements and must be called with col a multiple of 8 (a chunk start) for
// ldmatrix / cp.async addressing.
// ---------------------------------------------------------------------------------------------
template <int Rows, int Cols>
struct SwizzledTile {
  static_assert(Cols % 32 == 0, "tile width must be a multiple of 32 elements");
  static constexpr int kPanel = (Cols % 64 == 0) ? 64 : 32;
  static constexpr int kChunksPerRow = kPanel / 8;
  static constexpr int kElements = Rows * Cols;
  static constexpr int kBytes = kElements * 2;

  // Unsigned arithmetic on purpose: divisions by the power-of-two panel width become shifts with
  // no sign fix-ups, which lets the compiler fold lane-invariant parts of ldmatrix addresses.
  __host__ __device__ static constexpr int offset(int row_, int col_) {
    const unsigned row = static_cast<unsigned>(row_), col = static_cast<unsigned>(col_);
    const unsigned panel = col / kPanel;
    const unsigned chunk = (col % kPanel) / 8;
    const unsigned sw = kPanel == 64 ? (row & 7u) : ((row >> 1) & 3u);
    return static_cast<int>(panel * (Rows * kPanel) + row * kPanel + ((chunk ^ sw) * 8) + (col & 7u));
  }
};

}  // namespace fa::flash::ptx
