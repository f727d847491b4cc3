#pragma once
// Warp-level building blocks of the flash backward: tile copies global -> shared (cp.async) and
// warp GEMMs on padded shared-memory tiles (ldmatrix + mma.sync m16n8k16, fp32 accumulators).
//
// Every product of the backward is C[m][n] += sum_k A[m][k] B[k][n] with A and B in shared memory,
// each stored either with k contiguous or with m / n contiguous:
//   A "mk" (row-major, k contiguous): Q in S = Q K^T, dS in dQ = dS K      -> ldmatrix
//   A "km" (m contiguous):            P in dV = P^T dO, dS in dK = dS^T Q  -> ldmatrix.trans
//   B "nk" (k contiguous):            K in S = Q K^T, V in dP = dO V^T     -> ldmatrix
//   B "kn" (n contiguous):            dO in dV, Q in dK, K in dQ           -> ldmatrix.trans
// so one template covers all five products and the transposes cost nothing but the .trans bit.
//
// Shared-memory tiles are row-major with 16 bytes of padding per row. ldmatrix phases (8 rows x 16
// bytes), 16-byte cp.async stores and the 4-byte stores of accumulator fragments are then free of
// bank conflicts for every tile width used here (row strides of 20, 36, 52, 68 or 132 words), and
// an address is linear in (row, col): per-thread offset + compile-time immediate. That matters more
// than the smem it costs: an XOR swizzle needs a separate address register per distinct swizzle
// constant, and with 192 accumulator registers live those spill.
#include <cstdint>

#include "kernels/flash/ptx.cuh"

namespace fa::flash::bwd {

template <int Rows, int Cols>
struct PaddedTile {
  static constexpr int kRows = Rows;
  static constexpr int kStride = Cols + 8;  // elements per row, padding included
  static constexpr int kBytes = Rows * kStride * 2;
  __host__ __device__ static constexpr int offset(int row, int col) { return row * kStride + col; }
};

// Byte offset of element (row, col) of a tile.
template <class Tile>
__device__ __forceinline__ std::uint32_t tile_off(int row, int col) {
  return static_cast<std::uint32_t>(Tile::offset(row, col)) * 2u;
}

// Byte offset of (row_t + R, col_t + C) given off_t = tile_off(row_t, col_t) and constants R, C.
template <class Tile>
__device__ __forceinline__ std::uint32_t tile_off(std::uint32_t off_t, int R, int C) {
  return off_t + static_cast<std::uint32_t>((R * Tile::kStride + C) * 2);
}

// Copies rows [row0, row0 + Rows) of a [N, Cols] tensor slice (row stride `stride` elements,
// columns contiguous) into a tile; rows >= n are zero-filled. All threads participate. When the
// block covers whole rows per pass, each thread keeps one column and steps through rows, so its
// smem offsets are one register plus immediates (this runs inside the main loop, where registers
// are scarce).
template <class Tile, int Rows, int Cols, int Threads, class T>
__device__ __forceinline__ void load_tile_async(std::uint32_t smem, const T* gmem, std::int64_t stride, int row0,
                                                int n, int tid) {
  constexpr int kChunksPerRow = Cols / 8;
  constexpr int kChunks = Rows * kChunksPerRow;
  static_assert(kChunks % Threads == 0, "tile copy must split evenly over the block");
  if constexpr (Threads % kChunksPerRow == 0) {
    constexpr int kRowsPerPass = Threads / kChunksPerRow;
    const int r_t = tid / kChunksPerRow, col = (tid % kChunksPerRow) * 8;
    const std::uint32_t s_t = smem + tile_off<Tile>(r_t, col);
    const T* g_t = gmem + static_cast<std::int64_t>(row0 + r_t) * stride + col;
#pragma unroll
    for (int it = 0; it < kChunks / Threads; ++it) {
      const bool ok = row0 + r_t + it * kRowsPerPass < n;
      ptx::cp_async_16(tile_off<Tile>(s_t, it * kRowsPerPass, 0), ok ? g_t + it * kRowsPerPass * stride : gmem, ok);
    }
  } else {
#pragma unroll
    for (int it = 0; it < kChunks / Threads; ++it) {
      const int c = it * Threads + tid;
      const int r = c / kChunksPerRow;
      const int col = (c % kChunksPerRow) * 8;
      const bool ok = row0 + r < n;
      const T* src = ok ? gmem + static_cast<std::int64_t>(row0 + r) * stride + col : gmem;
      ptx::cp_async_16(smem + tile_off<Tile>(r, col), src, ok);
    }
  }
}

// Per-thread offsets of the four fragment kinds (see the header comment). m_t / n_t: the warp's
// 16-aligned start along m / n.
template <class Tile>
__device__ __forceinline__ std::uint32_t frag_off_a_mk(int m_t, int lane) {
  return tile_off<Tile>(m_t + (lane & 15), (lane >> 4) * 8);
}
template <class Tile>
__device__ __forceinline__ std::uint32_t frag_off_a_km(int m_t, int lane) {
  const int q = lane >> 3;
  return tile_off<Tile>((lane & 7) + (q >> 1) * 8, m_t + (q & 1) * 8);
}
template <class Tile>
__device__ __forceinline__ std::uint32_t frag_off_b_nk(int n_t, int lane) {
  const int q = lane >> 3;
  return tile_off<Tile>(n_t + (lane & 7) + (q >> 1) * 8, (q & 1) * 8);
}
template <class Tile>
__device__ __forceinline__ std::uint32_t frag_off_b_kn(int n_t, int lane) {
  const int q = lane >> 3;
  return tile_off<Tile>((lane & 7) + (q & 1) * 8, n_t + (q >> 1) * 8);
}

// acc[mt][nt] += A * B over k in [0, K) for the warp tile with m = m_t + mt*MStride + [0,16),
// n = n_t + (nt/2)*NStride + (nt%2)*8 + [0,8). A / B: tile base address + per-thread offset from
// the frag_off_* matching ATrans / BTrans. Fragments: ldmatrix x4 = one A tile or two B n-tiles.
template <class T, int MT, int NT, int K, int MStride, int NStride, bool ATrans, bool BTrans, class TileA, class TileB>
__device__ __forceinline__ void warp_gemm(float (&acc)[MT][NT][4], std::uint32_t a_base, std::uint32_t a_off,
                                          std::uint32_t b_base, std::uint32_t b_off) {
  static_assert(NT % 2 == 0, "B fragments come in pairs of n-tiles");
#pragma unroll
  for (int k0 = 0; k0 < K; k0 += 16) {
    std::uint32_t a[MT][4];
    std::uint32_t b[NT / 2][4];
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
      if constexpr (ATrans) {
        ptx::ldmatrix_x4_trans(a[mt], a_base + tile_off<TileA>(a_off, k0, mt * MStride));
      } else {
        ptx::ldmatrix_x4(a[mt], a_base + tile_off<TileA>(a_off, mt * MStride, k0));
      }
    }
#pragma unroll
    for (int np = 0; np < NT / 2; ++np) {
      if constexpr (BTrans) {
        ptx::ldmatrix_x4_trans(b[np], b_base + tile_off<TileB>(b_off, k0, np * NStride));
      } else {
        ptx::ldmatrix_x4(b[np], b_base + tile_off<TileB>(b_off, np * NStride, k0));
      }
    }
#pragma unroll
    for (int mt = 0; mt < MT; ++mt) {
#pragma unroll
      for (int nt = 0; nt < NT; ++nt) {
        const std::uint32_t bb[2] = {b[nt / 2][(nt & 1) * 2], b[nt / 2][(nt & 1) * 2 + 1]};
        ptx::mma_m16n8k16<T>(acc[mt][nt], a[mt], bb);
      }
    }
  }
}

template <int MT, int NT>
__device__ __forceinline__ void zero(float (&acc)[MT][NT][4]) {
#pragma unroll
  for (int mt = 0; mt < MT; ++mt)
#pragma unroll
    for (int nt = 0; nt < NT; ++nt)
#pragma unroll
      for (int r = 0; r < 4; ++r) acc[mt][nt][r] = 0.0f;
}

}  // namespace fa::flash::bwd
