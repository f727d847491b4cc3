#pragma once
// FlashAttention-2 forward kernel body (Dao 2023, Algorithm 1), warp-level tensor cores.
//
// One thread block = one tile of Br query rows of one (batch, head). Each warp owns Br / warps
// whole rows, so the online softmax needs no cross-warp communication: a row lives in one quad of
// one warp (see the fragment layout notes in ptx.cuh). Per K/V tile of Bc keys:
//   S = Q K^T      (mma.sync m16n8k16, K fragments by ldmatrix from swizzled shared memory)
//   online softmax in fp32 registers: running max m, running (per-thread partial) sum l,
//                  O rescaled by exp2((m_old - m_new) * scale * log2 e)
//   O += P V       (P re-packed in registers as the A operand; V fragments by ldmatrix.trans)
// and the next tile's K and V are already streaming in with cp.async (two stages).
// O is normalised once at the end, staged through shared memory for 16-byte coalesced stores.
#include <cstdint>
#include <type_traits>

#include "core/philox.hpp"
#include "core/dropout_pairs.cuh"
#include "kernels/flash/flash_fwd_traits.cuh"
#include "kernels/flash/flash_params.hpp"
#include "kernels/flash/flash_varlen.cuh"
#include "kernels/flash/ptx.cuh"

namespace fa::flash {

namespace fwd_detail {

constexpr float kNegInf = -__builtin_huge_valf();

// Copies rows [0, rows_valid) of a Rows x D tile from global memory (row stride in elements) into
// the swizzled shared tile; rows past rows_valid are zero-filled (no global read), so padded keys
// and values are exact zeros rather than whatever memory follows the tensor.
//
// Thread tid copies chunk column tid % (D/8) of rows tid / (D/8) + i * kRowStep. When kRowStep is
// a multiple of 8 every row it touches has the same swizzle, so the shared address of copy i is a
// compile-time offset from one per-thread base and the global address one add from the last:
// this keeps the per-thread address state to a few registers (the kernel sits at the 255 cap).
template <class Traits, class Tile, int Rows, class T>
__device__ __forceinline__ void load_tile_async(T* smem, const T* gmem, std::int64_t stride_n, int rows_valid,
                                                int tid) {
  constexpr int kChunksPerRow = Traits::D / 8;
  constexpr int kIters = Rows * kChunksPerRow / Traits::kThreads;
  if constexpr (Traits::kThreads % kChunksPerRow == 0 && (Traits::kThreads / kChunksPerRow) % 8 == 0) {
    constexpr int kRowStep = Traits::kThreads / kChunksPerRow;
    const int row0 = tid / kChunksPerRow;
    const int col = (tid % kChunksPerRow) * 8;
    const std::uint32_t s0 = ptx::smem_u32(smem + Tile::offset(row0, col));
    // 32-bit offsets inside one tile (the host rejects row strides with Rows * stride >= 2^31).
    const int stride = static_cast<int>(stride_n);
    const int off0 = row0 * stride + col;
    const int valid = rows_valid - row0;
#pragma unroll
    for (int i = 0; i < kIters; ++i) {
      const bool ok = i * kRowStep < valid;
      ptx::cp_async_16(s0 + i * kRowStep * Tile::kPanel * 2, ok ? gmem + (off0 + i * kRowStep * stride) : gmem, ok);
    }
  } else {
#pragma unroll
    for (int i = 0; i < kIters; ++i) {
      const int idx = tid + i * Traits::kThreads;
      const int row = idx / kChunksPerRow;
      const int col = (idx % kChunksPerRow) * 8;
      const bool ok = row < rows_valid;
      const T* src = ok ? gmem + row * stride_n + col : gmem;
      ptx::cp_async_16(ptx::smem_u32(smem + Tile::offset(row, col)), src, ok);
    }
  }
}

}  // namespace fwd_detail

// kVarlen: a packed variable-length batch (FlashParams::cu_seqlens). Its own instances, so that the
// fixed-length ones keep the lengths in parameter space: per-sequence lengths in registers raised
// the D = 128 non-causal instance's spills from 40 to 132 bytes on sm_90a.
template <class Traits, class T, bool kCausal, bool kDropout, bool kVarlen>
__global__ void __launch_bounds__(Traits::kThreads) flash_fwd_kernel(const FlashParams p, int num_q_tiles) {
  using namespace fwd_detail;
  constexpr int D = Traits::D, Br = Traits::Br, Bc = Traits::Bc;
  constexpr int MT = Traits::kMTiles, RPW = Traits::kRowsPerWarp;
  constexpr int NT = Bc / 8;  // n8 tiles of S per m16 tile
  constexpr int DT = D / 8;   // n8 tiles of O per m16 tile
  using QTile = typename Traits::QTile;
  using KVTile = typename Traits::KVTile;
  static_assert(!kDropout || Bc % 32 == 0, "a K tile must hold whole 32-column groups of the dropout mask");

  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* sQ = reinterpret_cast<T*>(smem_raw);
  T* sK = sQ + QTile::kElements;                       // [stage][Bc x D]
  T* sV = sK + Traits::kStages * KVTile::kElements;    // [stage][Bc x D]

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int g = lane >> 2, t = lane & 3;  // mma fragment group / thread-in-quad

  // Tiles of one head are consecutive blocks (they share K/V in L2, and so do the query heads of a
  // K/V group, which are consecutive heads); within a head the last query
  // tiles go first because under causal masking they are the longest.
  const int bh = blockIdx.x / num_q_tiles;
  const int qt = num_q_tiles - 1 - static_cast<int>(blockIdx.x % num_q_tiles);
  const int b = bh / p.heads, h = bh % p.heads;
  // Varlen: this sequence's rows in the packed tensors.
  const SeqRange seq = kVarlen ? seq_range(p, b) : SeqRange{0, p.seqlen_q, p.seqlen_kv};
  const int nq = seq.nq, nk = seq.nk;
  const int q0 = qt * Br;
  if (kVarlen && q0 >= nq) return;  // a query tile past the end of a shorter sequence
  const int diag = kVarlen ? 0 : nk - nq;  // causal: row i sees columns j <= i + diag (varlen: Nq = Nk)
  // The key length where the K loop needs it: varlen re-reads it rather than hold it (seq_len_q).
  auto kv_len = [&] { return kVarlen ? seq_len_q(p, b) : nk; };

  const T* q_ptr = static_cast<const T*>(p.q) + b * p.q_stride_b + h * p.q_stride_h + (seq.row0 + q0) * p.q_stride_n;
  const int hk = h / p.kv_group;  // the K/V head this query head reads (grouped-query attention)
  const T* k_ptr = static_cast<const T*>(p.k) + b * p.k_stride_b + hk * p.k_stride_h + seq.row0 * p.k_stride_n;
  const T* v_ptr = static_cast<const T*>(p.v) + b * p.v_stride_b + hk * p.v_stride_h + seq.row0 * p.v_stride_n;

  // Key range this tile can see: causal rows end at column (last row) + diag.
  int kv_end = nk;
  if constexpr (kCausal) {
    const int last_row = min(q0 + Br, nq) - 1;
    kv_end = max(0, min(nk, last_row + diag + 1));
  }
  const int n_tiles = (kv_end + Bc - 1) / Bc;

  // Block mask row of this query tile (mask blocks are multiples of Br and Bc, checked on the host,
  // so a query tile lies in one mask row and a key tile in one mask column).
  const std::uint8_t* mask_row = nullptr;
  if (p.block_mask != nullptr) {
    const int mh = p.mask_heads == 1 ? 0 : h;
    mask_row = p.block_mask + (static_cast<std::int64_t>(mh) * p.mask_blocks_q + q0 / p.mask_block_q) * p.mask_blocks_k;
  }
  // First tile at or after j that the block mask keeps (n_tiles if none): skipped tiles are never loaded.
  auto next_tile = [&](int j) {
    if (mask_row != nullptr) {
      while (j < n_tiles && __ldg(mask_row + (j * Bc) / p.mask_block_k) == 0) ++j;
    }
    return j;
  };

  auto load_kv = [&](int j, int stage) {
    const int rows = kv_len() - j * Bc;
    load_tile_async<Traits, KVTile, Bc>(sK + stage * KVTile::kElements, k_ptr + static_cast<std::int64_t>(j) * Bc * p.k_stride_n,
                                        p.k_stride_n, rows, tid);
    load_tile_async<Traits, KVTile, Bc>(sV + stage * KVTile::kElements, v_ptr + static_cast<std::int64_t>(j) * Bc * p.v_stride_n,
                                        p.v_stride_n, rows, tid);
  };

  // Prologue: Q and the first kept K/V tile in one cp.async group.
  load_tile_async<Traits, QTile, Br>(sQ, q_ptr, p.q_stride_n, nq - q0, tid);
  int j = next_tile(0);
  if (j < n_tiles) load_kv(j, 0);
  ptx::cp_async_commit();

  const int warp_row0 = warp * RPW;  // first row of this warp inside the tile
  float o[MT][DT][4];
  float row_max[MT][2], row_sum[MT][2];
#pragma unroll
  for (int m = 0; m < MT; ++m) {
#pragma unroll
    for (int d = 0; d < DT; ++d) o[m][d][0] = o[m][d][1] = o[m][d][2] = o[m][d][3] = 0.f;
    row_max[m][0] = row_max[m][1] = kNegInf;
    row_sum[m][0] = row_sum[m][1] = 0.f;
  }

  // Q fragments held in registers for the whole K loop (small D only; see traits).
  std::uint32_t q_frag[Traits::kQInRegs ? MT : 1][Traits::kQInRegs ? D / 16 : 1][4];
  if constexpr (Traits::kQInRegs) {
    ptx::cp_async_wait<0>();
    __syncthreads();
#pragma unroll
    for (int m = 0; m < MT; ++m)
#pragma unroll
      for (int kk = 0; kk < D / 16; ++kk)
        ptx::ldmatrix_x4(q_frag[m][kk],
                         ptx::smem_u32(sQ + QTile::offset(warp_row0 + m * 16 + (lane & 15), kk * 16 + (lane >> 4) * 8)));
  }

  // Per-lane ldmatrix addresses, one per swizzle phase c (16-column step inside a panel). Every
  // ldmatrix of the loop is then one of these plus a compile-time offset (row block, panel) and the
  // stage offset: the XOR swizzle costs nothing in the loop. Valid because the row blocks added
  // later are multiples of 8 rows, which leave the swizzle pattern of a row unchanged.
  constexpr int kQPanel = QTile::kPanel, kKVPanel = KVTile::kPanel;
  constexpr int kQPhases = kQPanel / 16, kKVPhases = kKVPanel / 16;
  std::uint32_t q_addr[kQPhases], k_addr[kKVPhases], v_addr[kKVPhases];
#pragma unroll
  for (int c = 0; c < kQPhases; ++c) {
    q_addr[c] = ptx::smem_u32(sQ + QTile::offset(warp_row0 + (lane & 15), c * 16 + (lane >> 4) * 8));
  }
#pragma unroll
  for (int c = 0; c < kKVPhases; ++c) {
    k_addr[c] = ptx::smem_u32(sK + KVTile::offset((lane & 7) + ((lane >> 4) << 3), c * 16 + ((lane >> 3) & 1) * 8));
    v_addr[c] = ptx::smem_u32(sV + KVTile::offset((lane & 7) + ((lane >> 3) & 1) * 8, c * 16 + (lane >> 4) * 8));
  }

  const float scale_log2 = p.scale * ptx::kLog2e;
  const std::uint32_t b32 = static_cast<std::uint32_t>(b), h32 = static_cast<std::uint32_t>(h);

  int stage = 0;
  while (j < n_tiles) {
    // Tile j has landed for every thread, and every warp is done with the other stage's buffers.
    ptx::cp_async_wait<0>();
    __syncthreads();
    const int jn = next_tile(j + 1);
    if (jn < n_tiles) load_kv(jn, stage ^ 1);
    ptx::cp_async_commit();

    const std::uint32_t stage_off = stage * KVTile::kBytes;
    const int col0 = j * Bc;

    float s[MT][NT][4];
#pragma unroll
    for (int m = 0; m < MT; ++m)
#pragma unroll
      for (int n = 0; n < NT; ++n) s[m][n][0] = s[m][n][1] = s[m][n][2] = s[m][n][3] = 0.f;

#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk) {
      std::uint32_t a[MT][4];
#pragma unroll
      for (int m = 0; m < MT; ++m) {
        if constexpr (Traits::kQInRegs) {
#pragma unroll
          for (int r = 0; r < 4; ++r) a[m][r] = q_frag[m][kk][r];
        } else {
          const int kPanelOff = (kk * 16 / kQPanel) * Br * kQPanel * 2;
          ptx::ldmatrix_x4(a[m], q_addr[(kk * 16 % kQPanel) / 16] + kPanelOff + m * 16 * kQPanel * 2);
        }
      }
#pragma unroll
      for (int nn = 0; nn < Bc / 16; ++nn) {
        std::uint32_t kf[4];
        ptx::ldmatrix_x4(kf, k_addr[(kk * 16 % kKVPanel) / 16] + stage_off +
                                 ((kk * 16 / kKVPanel) * Bc * kKVPanel + nn * 16 * kKVPanel) * 2);
        const std::uint32_t b0[2] = {kf[0], kf[1]}, b1[2] = {kf[2], kf[3]};
#pragma unroll
        for (int m = 0; m < MT; ++m) {
          ptx::mma_m16n8k16<T>(s[m][2 * nn], a[m], b0);
          ptx::mma_m16n8k16<T>(s[m][2 * nn + 1], a[m], b1);
        }
      }
    }

    // Element masks only on the tiles crossing the causal diagonal or the end of the keys (a
    // uniform branch); all other tiles are fully visible.
    const bool needs_mask = col0 + Bc > kv_len() || (kCausal && col0 + Bc - 1 > q0 + diag);
    if (needs_mask) {
#pragma unroll
      for (int m = 0; m < MT; ++m)
#pragma unroll
        for (int n = 0; n < NT; ++n)
#pragma unroll
          for (int e = 0; e < 4; ++e) {
            const int row = q0 + warp_row0 + m * 16 + g + (e >> 1) * 8;
            const int col = col0 + n * 8 + 2 * t + (e & 1);
            const bool visible = col < kv_len() && (!kCausal || col <= row + diag);
            if (!visible) s[m][n][e] = kNegInf;
          }
    }

    // Online softmax. Max is taken on raw logits (scale > 0, checked on the host), then one FFMA
    // per element gives the exp2 argument. A row with nothing visible yet keeps max = -inf; it is
    // exponentiated against 0 instead so that exp2(-inf) = 0 and no inf - inf NaN appears.
#pragma unroll
    for (int m = 0; m < MT; ++m)
#pragma unroll
      for (int r = 0; r < 2; ++r) {
        float mx = row_max[m][r];
#pragma unroll
        for (int n = 0; n < NT; ++n) mx = fmaxf(mx, fmaxf(s[m][n][2 * r], s[m][n][2 * r + 1]));
        mx = ptx::quad_max(mx);
        const float m_use = mx == kNegInf ? 0.f : mx;
        const float corr = ptx::exp2_approx((row_max[m][r] - m_use) * scale_log2);
        row_max[m][r] = mx;
        const float m_scaled = m_use * scale_log2;
        float sum = 0.f;
#pragma unroll
        for (int n = 0; n < NT; ++n)
#pragma unroll
          for (int e = 2 * r; e < 2 * r + 2; ++e) {
            s[m][n][e] = ptx::exp2_approx(fmaf(s[m][n][e], scale_log2, -m_scaled));
            sum += s[m][n][e];
          }
        // Each thread keeps its partial row sum (its 2 columns per n8 tile); the quad's partials
        // are combined once at the end since they all see the same rescaling factors.
        row_sum[m][r] = row_sum[m][r] * corr + sum;
#pragma unroll
        for (int d = 0; d < DT; ++d) {
          o[m][d][2 * r] *= corr;
          o[m][d][2 * r + 1] *= corr;
        }
      }

    // O += P V. The S accumulator of n8 tiles (2kk, 2kk+1) re-packed to 16 bits is the A fragment
    // of the k16 step kk, so P never leaves registers.
    //
    // Dropout (core/philox.hpp) is applied to those packed fragments: the thread's 16 elements of
    // each m16 tile and 32-column group (k16 steps 2G, 2G+1) are one Philox call, compared byte-wise
    // against the 8-bit threshold and ANDed in as half masks (dropout_pairs.cuh). lse and row_sum
    // stay pre-dropout; the 1 / (1 - p) factor is applied to O at the end.
    [[maybe_unused]] Philox4 keep[MT];
#pragma unroll
    for (int kk = 0; kk < Bc / 16; ++kk) {
      if constexpr (kDropout) {
        if (kk % 2 == 0) {
          // Counter of (row q0 + warp_row0 + m*16 + g, group (col0 + 16kk) / 32, column pair t):
          // dropout_counter_row / dropout_counter_col with the row block and group known to be aligned.
          const std::uint32_t ctr_col = (static_cast<std::uint32_t>(col0) / 32 + kk / 2) * 4 + t;
#pragma unroll
          for (int m = 0; m < MT; ++m) {
            const std::uint32_t ctr_row = static_cast<std::uint32_t>((q0 + warp_row0) / 16 + m) * 8 + g;
            keep[m] = dropout_keep_flags(dropout_random(p.seed, b32, h32, ctr_row, ctr_col), p.dropout_threshold);
          }
        }
      }
      std::uint32_t pa[MT][4];
#pragma unroll
      for (int m = 0; m < MT; ++m) {
        pa[m][0] = ptx::pack2<T>(s[m][2 * kk][0], s[m][2 * kk][1]);
        pa[m][1] = ptx::pack2<T>(s[m][2 * kk][2], s[m][2 * kk][3]);
        pa[m][2] = ptx::pack2<T>(s[m][2 * kk + 1][0], s[m][2 * kk + 1][1]);
        pa[m][3] = ptx::pack2<T>(s[m][2 * kk + 1][2], s[m][2 * kk + 1][3]);
        if constexpr (kDropout) drop_packed_fragment(pa[m], keep[m], kk % 2);
      }
#pragma unroll
      for (int dn = 0; dn < D / 16; ++dn) {
        std::uint32_t vf[4];
        ptx::ldmatrix_x4_trans(vf, v_addr[(dn * 16 % kKVPanel) / 16] + stage_off +
                                       ((dn * 16 / kKVPanel) * Bc * kKVPanel + kk * 16 * kKVPanel) * 2);
        const std::uint32_t b0[2] = {vf[0], vf[1]}, b1[2] = {vf[2], vf[3]};
#pragma unroll
        for (int m = 0; m < MT; ++m) {
          ptx::mma_m16n8k16<T>(o[m][2 * dn], pa[m], b0);
          ptx::mma_m16n8k16<T>(o[m][2 * dn + 1], pa[m], b1);
        }
      }
    }
    j = jn;
    stage ^= 1;
  }

  // Epilogue. Every cp.async (Q included, when no tile was processed) must have landed before this
  // warp's Q rows are overwritten with its O rows.
  ptx::cp_async_wait<0>();
  __syncthreads();

  const float out_scale = kDropout ? 1.f / (1.f - p.dropout) : 1.f;
  const int nq_end = kVarlen ? seq_len_q(p, b) : nq;  // re-read: not held through the K loop
  float* lse_row = p.lse + static_cast<std::int64_t>(bh) * p.seqlen_q;  // varlen: rows of the longest
#pragma unroll
  for (int m = 0; m < MT; ++m)
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      const float l = ptx::quad_sum(row_sum[m][r]);
      // l == 0 exactly when no column of the row was visible (otherwise the max element adds 1).
      const float inv = l > 0.f ? out_scale / l : 0.f;
      const int lrow = warp_row0 + m * 16 + g + r * 8;
      if (t == 0 && q0 + lrow < nq_end) {
        lse_row[q0 + lrow] = l > 0.f ? row_max[m][r] * p.scale + __logf(l) : kNegInf;
      }
#pragma unroll
      for (int d = 0; d < DT; ++d) {
        const std::uint32_t packed = ptx::pack2<T>(o[m][d][2 * r] * inv, o[m][d][2 * r + 1] * inv);
        *reinterpret_cast<std::uint32_t*>(sQ + QTile::offset(lrow, d * 8 + 2 * t)) = packed;
      }
    }
  __syncwarp();

  // Each warp stores its own rows (only it wrote them): 16-byte chunks, consecutive lanes along a row.
  T* o_ptr = static_cast<T*>(p.o) + b * p.o_stride_b + h * p.o_stride_h;
  if constexpr (kVarlen) o_ptr += seq_row0(p, b) * p.o_stride_n;
  constexpr int kChunksPerRow = D / 8;
#pragma unroll
  for (int idx = lane; idx < RPW * kChunksPerRow; idx += 32) {
    const int lrow = warp_row0 + idx / kChunksPerRow;
    const int col = (idx % kChunksPerRow) * 8;
    const int row = q0 + lrow;
    if (row < nq_end) {
      *reinterpret_cast<uint4*>(o_ptr + row * p.o_stride_n + col) =
          *reinterpret_cast<const uint4*>(sQ + QTile::offset(lrow, col));
    }
  }
}

}  // namespace fa::flash
