#pragma once
// Split-K/V forward for decoding (Flash-Decoding; the split of FlashAttention-2's flash_fwd_splitkv),
// mma.sync tensor cores, cp.async loads. flash_decode_plan.hpp says when it runs and with how many
// chunks.
//
// One CTA = one (batch, K/V head, chunk of keys). Its Q tile packs every query row that reads this
// K/V head: row r is query head hk * group + r / Nq at position r % Nq, so K and V are read from HBM
// once per group, not once per query head. The tile has 16, 32 or 64 rows (Traits::kMTiles m16 MMA
// tiles); the 4 warps take one m16 tile each and split a K/V tile's 64 keys between the warps left
// over (4 warps x 16 keys for 16 rows, 2 x 32 for 32, 1 x 64 for 64), so every warp does MMA work
// however few the rows. Per K/V tile each warp runs the online softmax of FlashAttention-2 on its
// keys; K/V tiles stream through kDecodeStages shared-memory stages with 16-byte cp.async.
//
// At the end the warps sharing rows merge their (max, sum, O) through shared memory, and the CTA
// writes its rows: with one chunk straight into O and lse (same meaning as the normal path's), else
// fp32 partial O and the partial lse into scratch, which flash_decode_combine_kernel merges.
#include <cstdint>

#include "kernels/flash/flash_decode_plan.hpp"
#include "kernels/flash/flash_fwd_kernel.cuh"
#include "kernels/flash/flash_params.hpp"
#include "kernels/flash/ptx.cuh"

namespace fa::flash {

// What the split and combine kernels take besides FlashParams (flash_decode.cu fills it from the plan).
struct DecodeArgs {
  int kv_heads = 1;
  int rows = 1;             // query rows per K/V head (Nq x group)
  int chunks = 1;
  int tiles_per_chunk = 1;  // K/V tiles of kDecodeBc keys per chunk
  float* o_part = nullptr;    // [B*Hkv][chunks][rows][D] fp32 (chunks > 1)
  float* lse_part = nullptr;  // [B*Hkv][chunks][rows]
};

template <int D_, int MTiles_>
struct DecodeTraits {
  static constexpr int D = D_;
  static constexpr int kMTiles = MTiles_;
  static constexpr int kRows = MTiles_ * 16;
  static constexpr int Bc = kDecodeBc;
  static constexpr int kWarps = 4;
  static constexpr int kThreads = kWarps * 32;
  static constexpr int kKeyGroups = kWarps / MTiles_;  // warps that share the rows of one m16 tile
  static constexpr int kKeysPerWarp = Bc / kKeyGroups;
  static constexpr int kStages = kDecodeStages;
  // Resident CTAs per SM the registers must allow: what the shared memory allows on an H100/H200
  // (flash_decode_plan.hpp counts on it), 2 at D = 128 and 4 at D = 64.
  static constexpr int kMinCtasPerSm = D_ <= 64 ? 4 : 2;
  using QTile = ptx::SwizzledTile<kRows, D>;
  using KVTile = ptx::SwizzledTile<Bc, D>;
  static constexpr int kSmemBytes = QTile::kBytes + kStages * 2 * KVTile::kBytes;
  // Epilogue, over the K/V stages: each warp's O rows in fp32 (row stride D + 4 floats: the quad's
  // float2 stores of 8 rows land on 32 distinct banks), then its row max and sum.
  static constexpr int kOStride = D + 4;
  static constexpr int kEpilogueBytes = (kKeyGroups * kRows * kOStride + 2 * kKeyGroups * kRows) * 4;

  static_assert(kWarps % MTiles_ == 0 && kKeysPerWarp % 16 == 0, "whole k16 steps of keys per warp");
  static_assert(kSmemBytes == decode_smem_bytes(D, MTiles_), "the plan's shared-memory size");
  static_assert(kEpilogueBytes <= kStages * 2 * KVTile::kBytes, "the epilogue fits in the K/V stages");
};

namespace decode_detail {

// Query head and position of packed row r (r < rows).
struct PackedRow {
  int head, pos;
};
__device__ __forceinline__ PackedRow packed_row(int hk, int group, int nq, int r) {
  return {hk * group + r / nq, r % nq};
}

// Copies the packed Q rows (rows past `rows` zero-filled) into the swizzled tile: per-row addresses,
// since the rows come from several heads; once per CTA.
template <class Traits, class T>
__device__ __forceinline__ void load_q_packed(T* sQ, const FlashParams& p, const DecodeArgs& a, int b, int hk,
                                              int tid) {
  constexpr int kChunks = Traits::D / 8;
  const T* q = static_cast<const T*>(p.q) + b * p.q_stride_b;
  for (int idx = tid; idx < Traits::kRows * kChunks; idx += Traits::kThreads) {
    const int r = idx / kChunks, col = (idx % kChunks) * 8;
    const bool ok = r < a.rows;
    const T* src = q;
    if (ok) {
      const PackedRow pr = packed_row(hk, p.kv_group, p.seqlen_q, r);
      src = q + pr.head * p.q_stride_h + static_cast<std::int64_t>(pr.pos) * p.q_stride_n + col;
    }
    ptx::cp_async_16(ptx::smem_u32(sQ + Traits::QTile::offset(r, col)), src, ok);
  }
}

}  // namespace decode_detail

template <class Traits, class T>
__global__ void __launch_bounds__(Traits::kThreads, Traits::kMinCtasPerSm) flash_decode_split_kernel(const FlashParams p, const DecodeArgs a) {
  using namespace decode_detail;
  constexpr int D = Traits::D, Bc = Traits::Bc, R = Traits::kRows, KG = Traits::kKeyGroups;
  constexpr int KPW = Traits::kKeysPerWarp, MT = Traits::kMTiles, NT = KPW / 8, DT = D / 8;
  constexpr int kStages = Traits::kStages;
  using QTile = typename Traits::QTile;
  using KVTile = typename Traits::KVTile;

  extern __shared__ __align__(128) unsigned char smem_raw[];
  T* sQ = reinterpret_cast<T*>(smem_raw);
  T* sK = sQ + QTile::kElements;              // [stage][Bc x D]
  T* sV = sK + kStages * KVTile::kElements;   // [stage][Bc x D]

  const int tid = threadIdx.x, warp = tid / 32, lane = tid % 32;
  const int g = lane >> 2, t = lane & 3;
  const int rt = warp % MT, kg = warp / MT;  // this warp's m16 row tile and key group
  const int bkv = blockIdx.x, chunk = blockIdx.y;
  const int b = bkv / a.kv_heads, hk = bkv % a.kv_heads;
  const int nq = p.seqlen_q, nk = p.seqlen_kv, diag = nk - nq;  // causal: row i sees j <= i + diag

  const T* k_ptr = static_cast<const T*>(p.k) + b * p.k_stride_b + hk * p.k_stride_h;
  const T* v_ptr = static_cast<const T*>(p.v) + b * p.v_stride_b + hk * p.v_stride_h;
  const int tile_begin = chunk * a.tiles_per_chunk;
  const int tile_end = min(tile_begin + a.tiles_per_chunk, (nk + Bc - 1) / Bc);  // the plan leaves no chunk empty

  auto load_kv = [&](int j, int stage) {
    const int rows = nk - j * Bc;
    fwd_detail::load_tile_async<Traits, KVTile, Bc>(sK + stage * KVTile::kElements,
                                                    k_ptr + static_cast<std::int64_t>(j) * Bc * p.k_stride_n,
                                                    p.k_stride_n, rows, tid);
    fwd_detail::load_tile_async<Traits, KVTile, Bc>(sV + stage * KVTile::kElements,
                                                    v_ptr + static_cast<std::int64_t>(j) * Bc * p.v_stride_n,
                                                    p.v_stride_n, rows, tid);
  };

  // Prologue: Q with the first tile in one group, the second tile in the next (maybe empty) group.
  load_q_packed<Traits>(sQ, p, a, b, hk, tid);
  load_kv(tile_begin, 0);
  ptx::cp_async_commit();
  if (tile_begin + 1 < tile_end) load_kv(tile_begin + 1, 1);
  ptx::cp_async_commit();
  ptx::cp_async_wait<1>();
  __syncthreads();

  std::uint32_t q_frag[D / 16][4];
#pragma unroll
  for (int kk = 0; kk < D / 16; ++kk) {
    ptx::ldmatrix_x4(q_frag[kk], ptx::smem_u32(sQ + QTile::offset(rt * 16 + (lane & 15), kk * 16 + (lane >> 4) * 8)));
  }

  // This thread's two rows (g and g + 8 of its m16 tile) and their query positions for the causal
  // mask; padding rows (never stored) take the last position.
  int pos[2];
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int row = rt * 16 + g + r * 8;
    pos[r] = row < a.rows ? row % nq : nq - 1;
  }

  float o[DT][4];
  float row_max[2] = {fwd_detail::kNegInf, fwd_detail::kNegInf}, row_sum[2] = {0.f, 0.f};
#pragma unroll
  for (int d = 0; d < DT; ++d) o[d][0] = o[d][1] = o[d][2] = o[d][3] = 0.f;
  const float scale_log2 = p.scale * ptx::kLog2e;

  int stage = 0;
  for (int j = tile_begin; j < tile_end; ++j) {
    // Tile j has landed for every thread, and every warp is done with tile j - 1's stage, which
    // tile j + 2 now overwrites.
    ptx::cp_async_wait<1>();
    __syncthreads();
    if (j + 2 < tile_end) load_kv(j + 2, stage == 0 ? kStages - 1 : stage - 1);
    ptx::cp_async_commit();

    const T* sKs = sK + stage * KVTile::kElements;
    const T* sVs = sV + stage * KVTile::kElements;
    const int key0 = kg * KPW;            // this warp's first key inside the tile
    const int col0 = j * Bc + key0;       // ... and its column

    float s[NT][4];
#pragma unroll
    for (int n = 0; n < NT; ++n) s[n][0] = s[n][1] = s[n][2] = s[n][3] = 0.f;
#pragma unroll
    for (int kk = 0; kk < D / 16; ++kk)
#pragma unroll
      for (int nn = 0; nn < KPW / 16; ++nn) {
        std::uint32_t kf[4];
        ptx::ldmatrix_x4(kf, ptx::smem_u32(sKs + KVTile::offset(key0 + nn * 16 + (lane & 7) + ((lane >> 4) << 3),
                                                               kk * 16 + ((lane >> 3) & 1) * 8)));
        const std::uint32_t b0[2] = {kf[0], kf[1]}, b1[2] = {kf[2], kf[3]};
        ptx::mma_m16n8k16<T>(s[2 * nn], q_frag[kk], b0);
        ptx::mma_m16n8k16<T>(s[2 * nn + 1], q_frag[kk], b1);
      }

    // Masks only on a tile past the keys' end or crossing the causal diagonal of the first position.
    if (j * Bc + Bc > nk || (p.causal && j * Bc + Bc - 1 > diag)) {
#pragma unroll
      for (int n = 0; n < NT; ++n)
#pragma unroll
        for (int e = 0; e < 4; ++e) {
          const int col = col0 + n * 8 + 2 * t + (e & 1);
          if (col >= nk || (p.causal && col > pos[e >> 1] + diag)) s[n][e] = fwd_detail::kNegInf;
        }
    }

    // Online softmax on raw logits, as the normal path (flash_fwd_kernel.cuh) does it.
#pragma unroll
    for (int r = 0; r < 2; ++r) {
      float mx = row_max[r];
#pragma unroll
      for (int n = 0; n < NT; ++n) mx = fmaxf(mx, fmaxf(s[n][2 * r], s[n][2 * r + 1]));
      mx = ptx::quad_max(mx);
      const float m_use = mx == fwd_detail::kNegInf ? 0.f : mx;
      const float corr = ptx::exp2_approx((row_max[r] - m_use) * scale_log2);
      row_max[r] = mx;
      const float m_scaled = m_use * scale_log2;
      float sum = 0.f;
#pragma unroll
      for (int n = 0; n < NT; ++n)
#pragma unroll
        for (int e = 2 * r; e < 2 * r + 2; ++e) {
          s[n][e] = ptx::exp2_approx(fmaf(s[n][e], scale_log2, -m_scaled));
          sum += s[n][e];
        }
      row_sum[r] = row_sum[r] * corr + sum;
#pragma unroll
      for (int d = 0; d < DT; ++d) {
        o[d][2 * r] *= corr;
        o[d][2 * r + 1] *= corr;
      }
    }

    // O += P V with P re-packed in registers as the A operand.
#pragma unroll
    for (int kk = 0; kk < KPW / 16; ++kk) {
      std::uint32_t pa[4];
      pa[0] = ptx::pack2<T>(s[2 * kk][0], s[2 * kk][1]);
      pa[1] = ptx::pack2<T>(s[2 * kk][2], s[2 * kk][3]);
      pa[2] = ptx::pack2<T>(s[2 * kk + 1][0], s[2 * kk + 1][1]);
      pa[3] = ptx::pack2<T>(s[2 * kk + 1][2], s[2 * kk + 1][3]);
#pragma unroll
      for (int dn = 0; dn < D / 16; ++dn) {
        std::uint32_t vf[4];
        ptx::ldmatrix_x4_trans(vf, ptx::smem_u32(sVs + KVTile::offset(key0 + kk * 16 + (lane & 7) + ((lane >> 3) & 1) * 8,
                                                                     dn * 16 + (lane >> 4) * 8)));
        const std::uint32_t b0[2] = {vf[0], vf[1]}, b1[2] = {vf[2], vf[3]};
        ptx::mma_m16n8k16<T>(o[2 * dn], pa, b0);
        ptx::mma_m16n8k16<T>(o[2 * dn + 1], pa, b1);
      }
    }
    stage = stage == kStages - 1 ? 0 : stage + 1;
  }

  // Epilogue over the K/V stages, once every copy has landed and every warp is done with them.
  ptx::cp_async_wait<0>();
  __syncthreads();
  float* sO = reinterpret_cast<float*>(sK);  // [KG][R][kOStride]
  float* sMax = sO + KG * R * Traits::kOStride;
  float* sSum = sMax + KG * R;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const float l = ptx::quad_sum(row_sum[r]);
    if (t == 0) {
      sMax[kg * R + rt * 16 + g + r * 8] = row_max[r];
      sSum[kg * R + rt * 16 + g + r * 8] = l;
    }
  }
  __syncthreads();

  // Merge the key groups of each row: common max, total sum, each group's O scaled by its share.
  const std::int64_t part_row0 = (static_cast<std::int64_t>(bkv) * a.chunks + chunk) * a.rows;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const int row = rt * 16 + g + r * 8;
    float m_all = fwd_detail::kNegInf;
#pragma unroll
    for (int q = 0; q < KG; ++q) m_all = fmaxf(m_all, sMax[q * R + row]);
    float l_all = 0.f;
#pragma unroll
    for (int q = 0; q < KG; ++q) {
      const float mq = sMax[q * R + row];
      if (mq != fwd_detail::kNegInf) l_all += sSum[q * R + row] * ptx::exp2_approx((mq - m_all) * scale_log2);
    }
    const float own = row_max[r] == fwd_detail::kNegInf ? 0.f : ptx::exp2_approx((row_max[r] - m_all) * scale_log2);
    const float w = l_all > 0.f ? own / l_all : 0.f;  // l_all == 0: no key of the chunk visible to the row
    float* dst = sO + (kg * R + row) * Traits::kOStride + 2 * t;
#pragma unroll
    for (int d = 0; d < DT; ++d) *reinterpret_cast<float2*>(dst + d * 8) = make_float2(o[d][2 * r] * w, o[d][2 * r + 1] * w);
    if (kg == 0 && t == 0 && row < a.rows) {
      const float lse = l_all > 0.f ? m_all * p.scale + __logf(l_all) : fwd_detail::kNegInf;
      if (a.chunks == 1) {
        const PackedRow pr = packed_row(hk, p.kv_group, nq, row);
        p.lse[(static_cast<std::int64_t>(b) * p.heads + pr.head) * nq + pr.pos] = lse;
      } else {
        a.lse_part[part_row0 + row] = lse;
      }
    }
  }
  __syncthreads();

  // Rows out: 4 columns per thread, the key groups summed; O itself (one chunk) or the fp32 partial.
  constexpr int kQuads = D / 4;
  for (int idx = tid; idx < a.rows * kQuads; idx += Traits::kThreads) {
    const int row = idx / kQuads, col = (idx % kQuads) * 4;
    float4 acc = *reinterpret_cast<const float4*>(sO + row * Traits::kOStride + col);
#pragma unroll
    for (int q = 1; q < KG; ++q) {
      const float4 x = *reinterpret_cast<const float4*>(sO + (q * R + row) * Traits::kOStride + col);
      acc.x += x.x, acc.y += x.y, acc.z += x.z, acc.w += x.w;
    }
    if (a.chunks == 1) {
      const PackedRow pr = packed_row(hk, p.kv_group, nq, row);
      T* dst = static_cast<T*>(p.o) + b * p.o_stride_b + pr.head * p.o_stride_h +
               static_cast<std::int64_t>(pr.pos) * p.o_stride_n + col;
      *reinterpret_cast<uint2*>(dst) = make_uint2(ptx::pack2<T>(acc.x, acc.y), ptx::pack2<T>(acc.z, acc.w));
    } else {
      *reinterpret_cast<float4*>(a.o_part + (part_row0 + row) * D + col) = acc;
    }
  }
}

// Merges the chunks of each packed row by their logsumexp: lse = log sum_c exp(lse_c),
// O = sum_c exp(lse_c - lse) O_c. One warp per row, D / 32 columns per lane; reads chunks x (D + 1)
// fp32 per row, which the split kernel has just written (mostly still in L2).
template <int D, class T>
__global__ void __launch_bounds__(256) flash_decode_combine_kernel(const FlashParams p, const DecodeArgs a) {
  constexpr int E = D / 32;
  static_assert(E == 2 || E == 4, "head dims 64 and 128");
  const std::int64_t row_global = static_cast<std::int64_t>(blockIdx.x) * 8 + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row_global >= static_cast<std::int64_t>(p.batch) * a.kv_heads * a.rows) return;
  const int bkv = static_cast<int>(row_global / a.rows), row = static_cast<int>(row_global % a.rows);
  const float* lse_c = a.lse_part + static_cast<std::int64_t>(bkv) * a.chunks * a.rows + row;  // chunk stride: rows

  float mx = fwd_detail::kNegInf;
  for (int c = lane; c < a.chunks; c += 32) mx = fmaxf(mx, lse_c[static_cast<std::int64_t>(c) * a.rows]);
#pragma unroll
  for (int off = 16; off > 0; off /= 2) mx = fmaxf(mx, __shfl_xor_sync(0xffffffffu, mx, off));
  const float m_use = mx == fwd_detail::kNegInf ? 0.f : mx;  // every chunk empty: weights 0, O 0, lse -inf

  float sum = 0.f;
  for (int c = lane; c < a.chunks; c += 32) sum += __expf(lse_c[static_cast<std::int64_t>(c) * a.rows] - m_use);
#pragma unroll
  for (int off = 16; off > 0; off /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, off);

  float acc[E] = {};
  const float* o_c = a.o_part + static_cast<std::int64_t>(bkv) * a.chunks * a.rows * D + row * D + lane * E;
#pragma unroll 4
  for (int c = 0; c < a.chunks; ++c) {
    const float w = __expf(lse_c[static_cast<std::int64_t>(c) * a.rows] - m_use);
    const float* src = o_c + static_cast<std::int64_t>(c) * a.rows * D;
    if constexpr (E == 4) {
      const float4 x = *reinterpret_cast<const float4*>(src);
      acc[0] += w * x.x, acc[1] += w * x.y, acc[2] += w * x.z, acc[3] += w * x.w;
    } else {
      const float2 x = *reinterpret_cast<const float2*>(src);
      acc[0] += w * x.x, acc[1] += w * x.y;
    }
  }
  const float inv = sum > 0.f ? 1.f / sum : 0.f;
  const int hk = bkv % a.kv_heads, b = bkv / a.kv_heads;
  const decode_detail::PackedRow pr = decode_detail::packed_row(hk, p.kv_group, p.seqlen_q, row);
  T* dst = static_cast<T*>(p.o) + b * p.o_stride_b + pr.head * p.o_stride_h +
           static_cast<std::int64_t>(pr.pos) * p.o_stride_n + lane * E;
  if constexpr (E == 4) {
    *reinterpret_cast<uint2*>(dst) = make_uint2(ptx::pack2<T>(acc[0] * inv, acc[1] * inv), ptx::pack2<T>(acc[2] * inv, acc[3] * inv));
  } else {
    *reinterpret_cast<std::uint32_t*>(dst) = ptx::pack2<T>(acc[0] * inv, acc[1] * inv);
  }
  if (lane == 0) {
    p.lse[(static_cast<std::int64_t>(b) * p.heads + pr.head) * p.seqlen_q + pr.pos] =
        mx == fwd_detail::kNegInf ? fwd_detail::kNegInf : mx + __logf(sum);
  }
}

}  // namespace fa::flash
