#pragma once
// Main kernel of the FlashAttention-2 style backward (Dao 2023, Algorithm 2), our own code.
//
// One block per (K/V tile j, batch*head). K_j and V_j stay in shared memory; the block walks the
// Q tiles i that can see tile j (causal and block mask skip the rest without loading them) and per
// tile recomputes P from Q_i, K_j and the forward's log-sum-exp, then
//   dV_j += Pd^T dO_i                    (Pd = P * Z / (1-p), the dropped-out probabilities)
//   dP    = (dO_i V_j^T) * Z / (1-p)
//   dS    = P * (dP - delta_i)           (delta_i = rowsum(dO_i * O_i), from the preprocess)
//   dK_j += dS^T Q_i                     (times scale at the end)
//   dQ_i += dS K_j                       (fp32 atomics into the workspace; scaled in postprocess)
// dK_j and dV_j are register accumulators, written once at the end (with grouped K/V heads: added
// into fp32 accumulators of the K/V head, which the group's query heads share; flash_bwd_launch.cuh).
#include <cstdint>

#include "core/philox.hpp"
#include "kernels/flash/flash_bwd_gemm.cuh"
#include "kernels/flash/flash_bwd_launch.cuh"
#include "kernels/flash/flash_bwd_traits.cuh"
#include "kernels/flash/flash_params.hpp"
#include "kernels/flash/flash_varlen.cuh"
#include "kernels/flash/ptx.cuh"

namespace fa::flash::bwd {

struct MainArgs {
  FlashBwdParams p;
  float* dq_accum;      // [B*H, Nq_pad, D]
  const float* lse2;    // [B*H, Nq_pad]: lse * log2(e); +inf for fully masked and padding rows
  const float* delta;   // [B*H, Nq_pad]: rowsum(dO * O); 0 for padding rows
  float* dk_accum;      // [B*Hkv, Nk, D] with grouped K/V heads (dK/dV added atomically), else null
  float* dv_accum;
  int nq_pad;
  int k_tiles;          // ceil(Nk / Bc)
  float scale;          // softmax scale
  float scale_log2;     // softmax scale * log2(e)
  float keep_scale;     // 1 / (1 - dropout)
};

// Is the (Q tile, K tile) pair kept by the block mask? Tiles never straddle mask blocks (the
// mask block sizes are multiples of Br and Bc, checked on the host).
__device__ __forceinline__ bool block_kept(const FlashParams& p, int h, int row0, int col0) {
  if (p.block_mask == nullptr) return true;
  const int hh = p.mask_heads == 1 ? 0 : h;
  const std::int64_t idx =
      (static_cast<std::int64_t>(hh) * p.mask_blocks_q + row0 / p.mask_block_q) * p.mask_blocks_k +
      col0 / p.mask_block_k;
  return p.block_mask[idx] != 0;
}

// Copies Br floats of lse2 and delta for the Q tile at row0 (threads 0 .. Br/2 - 1 each move 16 B).
template <int Br>
__device__ __forceinline__ void load_rows_async(std::uint32_t s_lse, std::uint32_t s_delta, const float* g_lse,
                                                const float* g_delta, int tid) {
  constexpr int kChunks = Br / 4;
  if (tid < kChunks) {
    ptx::cp_async_16(s_lse + tid * 16, g_lse + tid * 4, true);
  } else if (tid < 2 * kChunks) {
    ptx::cp_async_16(s_delta + (tid - kChunks) * 16, g_delta + (tid - kChunks) * 4, true);
  }
}

// dQ accumulation: Hopper has a vector fp32 atomic (one instruction for two floats); older
// architectures (sm_80 builds) take two scalar atomics to the same addresses.
__device__ __forceinline__ void atomic_add_pair(float* dst, float a, float b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  atomicAdd(reinterpret_cast<float2*>(dst), make_float2(a, b));
#else
  atomicAdd(dst, a);
  atomicAdd(dst + 1, b);
#endif
}

// Special registers through volatile asm (core/warp_math.cuh): the compiler cannot hoist these reads out
// of the loop, so everything derived from them is recomputed per Q tile instead of occupying registers for
// the whole kernel next to the 128+ accumulator registers (that is what made D = 256 spill).
using fa::ctaid_x_volatile;
using fa::tid_x_volatile;

// Everything a thread derives from its thread and block index. Unsigned block coordinates: their
// 64-bit products with the strides need no sign-extension registers.
template <class Tr>
struct Coords {
  int tid, lane, g, t;
  // Warp grids (flash_bwd_traits.cuh), interleaved in 16-wide steps: warp (wm, wn) owns rows
  // wm*16 + mt*MS + [0,16) and columns wn*16 + (nt/2)*NS + (nt%2)*8 + [0,8). Except the columns of
  // S / dP: there warp wn owns the kWnSdp contiguous columns wn*kWnSdp + [0, kWnSdp) (NS = 16), so
  // that they are whole 32-column groups of the dropout mask: one Philox call per 16 elements.
  int sdp_m, sdp_n, kv_m, kv_n, dq_m, dq_n;
  unsigned bh, b, h;
  int j0;  // first key of this block's K/V tile

  __device__ __forceinline__ Coords(unsigned tid_x, unsigned ctaid_x, const MainArgs& a) {
    tid = static_cast<int>(tid_x);
    lane = tid & 31;
    g = lane >> 2;
    t = lane & 3;
    const int warp = tid >> 5;
    sdp_m = (warp % Tr::kWarpsMsdp) * 16, sdp_n = (warp / Tr::kWarpsMsdp) * Tr::kWnSdp;
    kv_m = (warp % Tr::kWarpsNdkv) * 16, kv_n = (warp / Tr::kWarpsNdkv) * 16;
    dq_m = (warp % Tr::kWarpsMdq) * 16, dq_n = (warp / Tr::kWarpsMdq) * 16;
    const unsigned k_tiles = static_cast<unsigned>(a.k_tiles);
    bh = ctaid_x / k_tiles;
    b = bh / static_cast<unsigned>(a.p.heads);
    h = bh % static_cast<unsigned>(a.p.heads);
    j0 = static_cast<int>(ctaid_x % k_tiles) * Tr::kBc;
  }
};

// Grouped K/V heads: this query head's dK (times the softmax scale) and dV of the block's K/V tile,
// added into the fp32 accumulators of its K/V head ([B*Hkv, Nk, D]), in the epilogue's fragment order.
template <class Tr, class Acc>
__device__ __forceinline__ void add_dkv_to_group(const MainArgs& args, const Coords<Tr>& c, const Acc& acc_dk,
                                                 const Acc& acc_dv) {
  constexpr int D = Tr::kD;
  constexpr int MTkv = Tr::kWmDkv / 16, NTkv = Tr::kWnDkv / 8;
  constexpr int MSkv = Tr::kWarpsNdkv * 16, NSkv = Tr::kWarpsDdkv * 16;
  const FlashBwdParams& p = args.p;
  const unsigned kv_heads = static_cast<unsigned>(p.heads / p.kv_group);
  const std::int64_t first_row =
      static_cast<std::int64_t>(c.b * kv_heads + c.h / static_cast<unsigned>(p.kv_group)) * p.seqlen_kv;
  float* dk = args.dk_accum + first_row * D;
  float* dv = args.dv_accum + first_row * D;
#pragma unroll
  for (int mt = 0; mt < MTkv; ++mt)
#pragma unroll
    for (int hf = 0; hf < 2; ++hf) {
      const int row = c.j0 + c.kv_m + mt * MSkv + c.g + hf * 8;
      if (row >= p.seqlen_kv) continue;
#pragma unroll
      for (int nt = 0; nt < NTkv; ++nt) {
        const int col = c.kv_n + (nt >> 1) * NSkv + (nt & 1) * 8 + 2 * c.t;
        const std::int64_t at = static_cast<std::int64_t>(row) * D + col;
        atomic_add_pair(dk + at, acc_dk[mt][nt][2 * hf] * args.scale, acc_dk[mt][nt][2 * hf + 1] * args.scale);
        atomic_add_pair(dv + at, acc_dv[mt][nt][2 * hf], acc_dv[mt][nt][2 * hf + 1]);
      }
    }
}

template <class Tr, class T, bool kDropout>
__global__ void __launch_bounds__(Tr::kThreads, 1) flash_bwd_main_kernel(const __grid_constant__ MainArgs args) {
  constexpr int D = Tr::kD, Br = Tr::kBr, Bc = Tr::kBc, NT = Tr::kThreads;
  static_assert(kRowPad % Br == 0, "workspace row padding must cover whole Q tiles");
  using TileKV = typename Tr::TileKV;
  using TileQ = typename Tr::TileQ;
  using TileP = typename Tr::TileP;
  constexpr int MTs = Tr::kWmSdp / 16, NTs = Tr::kWnSdp / 8;
  constexpr int MTkv = Tr::kWmDkv / 16, NTkv = Tr::kWnDkv / 8;
  constexpr int MTq = Tr::kWmDq / 16, NTq = Tr::kWnDq / 8;
  constexpr int MSs = Tr::kWarpsMsdp * 16, NSs = 16;  // S / dP columns: contiguous per warp (Coords)
  constexpr int MSkv = Tr::kWarpsNdkv * 16, NSkv = Tr::kWarpsDdkv * 16;
  constexpr int MSq = Tr::kWarpsMdq * 16, NSq = Tr::kWarpsDdq * 16;

  const FlashBwdParams& p = args.p;
  // Varlen: this block's sequence (its K tile and query rows); its first token row is re-read where
  // needed (seq_row0) rather than held through the loop.
  const SeqRange seq = seq_range(p, static_cast<int>(blockIdx.x / static_cast<unsigned>(args.k_tiles)) / p.heads);
  const int nq = seq.nq, nk = seq.nk;
  if (static_cast<int>(blockIdx.x % static_cast<unsigned>(args.k_tiles)) * Bc >= nk) return;  // past a shorter sequence
  const int diag = nk - nq;  // causal: row i sees col j iff j <= i + diag
  const int q_tiles = (nq + Br - 1) / Br;

  // The Q tile after i (inclusive) that this K tile needs: block-mask skipping (causal skipping is
  // the start index below).
  auto next_tile = [&](int i, const Coords<Tr>& c) {
    while (i < q_tiles && !block_kept(p, static_cast<int>(c.h), i * Br, c.j0)) ++i;
    return i;
  };
  auto q_ptr = [&](const Coords<Tr>& c) {
    return static_cast<const T*>(p.q) + c.b * p.q_stride_b + c.h * p.q_stride_h + seq_row0(p, c.b) * p.q_stride_n;
  };
  auto do_ptr = [&](const Coords<Tr>& c) {
    return static_cast<const T*>(p.dout) + c.b * p.do_stride_b + c.h * p.do_stride_h +
           seq_row0(p, c.b) * p.do_stride_n;
  };
  auto row_base = [&](const Coords<Tr>& c) {  // first row of this (b, h) in the workspace arrays
    return static_cast<std::int64_t>(c.bh) * args.nq_pad;
  };

  extern __shared__ __align__(128) unsigned char smem[];
  const std::uint32_t s_base = ptx::smem_u32(smem);
  const std::uint32_t sK = s_base + Tr::kOffK, sV = s_base + Tr::kOffV;
  const std::uint32_t sQ0 = s_base + Tr::kOffQ, sDO0 = s_base + Tr::kOffDO;
  const std::uint32_t sP = s_base + Tr::kOffP, sDS = s_base + Tr::kOffDS;
  const std::uint32_t sLse0 = s_base + Tr::kOffLse, sDelta0 = s_base + Tr::kOffDelta;
  const float* lse_smem = reinterpret_cast<const float*>(smem + Tr::kOffLse);
  const float* delta_smem = reinterpret_cast<const float*>(smem + Tr::kOffDelta);

  float acc_dk[MTkv][NTkv][4];
  float acc_dv[MTkv][NTkv][4];
  zero(acc_dk);
  zero(acc_dv);

  int i;
  {
    const Coords<Tr> c(threadIdx.x, blockIdx.x, args);
    // Q tiles that can see this K tile: causal skips those entirely above the diagonal.
    int first = 0;
    if (p.causal && c.j0 - diag > 0) first = (c.j0 - diag) / Br;
    i = next_tile(first, c);
    if (i < q_tiles) {
      const unsigned hk = c.h / static_cast<unsigned>(p.kv_group);  // the K/V head of this query head
      const std::int64_t row0 = seq_row0(p, c.b);
      const T* gk = static_cast<const T*>(p.k) + c.b * p.k_stride_b + hk * p.k_stride_h + row0 * p.k_stride_n;
      const T* gv = static_cast<const T*>(p.v) + c.b * p.v_stride_b + hk * p.v_stride_h + row0 * p.v_stride_n;
      load_tile_async<TileKV, Bc, D, NT>(sK, gk, p.k_stride_n, c.j0, nk, c.tid);
      load_tile_async<TileKV, Bc, D, NT>(sV, gv, p.v_stride_n, c.j0, nk, c.tid);
      load_tile_async<TileQ, Br, D, NT>(sQ0, q_ptr(c), p.q_stride_n, i * Br, nq, c.tid);
      load_tile_async<TileQ, Br, D, NT>(sDO0, do_ptr(c), p.do_stride_n, i * Br, nq, c.tid);
      load_rows_async<Br>(sLse0, sDelta0, args.lse2 + row_base(c) + i * Br, args.delta + row_base(c) + i * Br, c.tid);
    }
    ptx::cp_async_commit();
  }

  for (int it = 0; i < q_tiles; ++it) {
    const int buf = it & 1;
    const std::uint32_t sQ = sQ0 + buf * TileQ::kBytes, sDO = sDO0 + buf * TileQ::kBytes;
    const int i0 = i * Br;
    const Coords<Tr> c(tid_x_volatile(), ctaid_x_volatile(), args);
    const int lane = c.lane, g = c.g, t = c.t, j0 = c.j0;
    const int sdp_m = c.sdp_m, sdp_n = c.sdp_n, kv_m = c.kv_m, kv_n = c.kv_n, dq_m = c.dq_m, dq_n = c.dq_n;
    // Per-thread fragment offsets; Q and dO (both buffers) share TileQ offsets, K and V TileKV's.
    const std::uint32_t off_q_amk = frag_off_a_mk<TileQ>(sdp_m, lane);
    const std::uint32_t off_k_bnk = frag_off_b_nk<TileKV>(sdp_n, lane);
    const std::uint32_t off_p_st = tile_off<TileP>(sdp_m + g, sdp_n + 2 * t);  // C-fragment stores

    // Tile i has landed (and K, V on the first pass); every warp is done with the other buffers
    // and with sP / sdS of the previous tile, so they may be overwritten from here on.
    ptx::cp_async_wait<0>();
    __syncthreads();
    const int i_next = next_tile(i + 1, c);
    if (i_next < q_tiles) {
      const int nb = buf ^ 1;
      load_tile_async<TileQ, Br, D, NT>(sQ0 + nb * TileQ::kBytes, q_ptr(c), p.q_stride_n, i_next * Br, nq, c.tid);
      load_tile_async<TileQ, Br, D, NT>(sDO0 + nb * TileQ::kBytes, do_ptr(c), p.do_stride_n, i_next * Br, nq, c.tid);
      load_rows_async<Br>(sLse0 + nb * (Br * 4), sDelta0 + nb * (Br * 4), args.lse2 + row_base(c) + i_next * Br,
                          args.delta + row_base(c) + i_next * Br, c.tid);
    }
    ptx::cp_async_commit();

    // Dropout keep bits of this thread's S elements, drawn before S exists so the Philox temporaries
    // do not compete with the S accumulators for registers. The thread's elements of an m16 tile and
    // a 32-column group are the 16 of one Philox call (core/philox.hpp): keep[mt] bit
    // grp*16 + hf*8 + (nt%4)*2 + e for n-tile nt = grp*4 + nt%4, row g + 8hf, column 2t + e.
    [[maybe_unused]] std::uint32_t keep[MTs];
    if constexpr (kDropout) {
      static_assert(Tr::kWnSdp % 32 == 0 && NTs <= 8, "whole 32-column groups, at most two per keep word");
#pragma unroll
      for (int mt = 0; mt < MTs; ++mt) {
        keep[mt] = 0;
        // dropout_counter_row / _col with the 16-row block and 32-column group known to be aligned.
        const auto ctr_row = static_cast<std::uint32_t>((i0 + sdp_m + mt * MSs) / 16 * 8 + g);
#pragma unroll
        for (int grp = 0; grp < NTs / 4; ++grp) {
          const auto ctr_col = static_cast<std::uint32_t>(((j0 + sdp_n) / 32 + grp) * 4 + t);
          keep[mt] |= dropout_keep_mask16(dropout_random(p.seed, c.b, c.h, ctr_row, ctr_col), p.dropout_threshold)
                      << (grp * 16);
        }
      }
    }

    // ---- S = Q K^T, P = exp(scale * S - lse), masked, dropped out --------------------------------
    float acc_s[MTs][NTs][4];
    zero(acc_s);
    warp_gemm<T, MTs, NTs, D, MSs, NSs, false, false, TileQ, TileKV>(acc_s, sQ, off_q_amk, sK, off_k_bnk);

    // Column limit per row, relative to this thread's first column: element (row, c) is visible
    // iff c < lim (columns past Nk, and causal: past row + diag). Rows past Nq have lse2 = +inf.
    // A dropped element keeps -P: its sign carries the keep bit to the dS step below.
    const int col_t = j0 + sdp_n + 2 * t;
#pragma unroll
    for (int mt = 0; mt < MTs; ++mt)
#pragma unroll
      for (int hf = 0; hf < 2; ++hf) {
        const int row = i0 + sdp_m + mt * MSs + g + hf * 8;
        const int lim = (p.causal ? min(nk, row + diag + 1) : nk) - col_t;
        const float l2 = lse_smem[buf * Br + sdp_m + g + mt * MSs + hf * 8];
#pragma unroll
        for (int nt = 0; nt < NTs; ++nt)
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            const int c = (nt >> 1) * NSs + (nt & 1) * 8 + e;
            float pv = ptx::exp2_approx(acc_s[mt][nt][2 * hf + e] * args.scale_log2 - l2);
            pv = c < lim ? pv : 0.0f;
            if constexpr (kDropout) {
              if (!((keep[mt] >> ((nt >> 2) * 16 + hf * 8 + (nt & 3) * 2 + e)) & 1u)) pv = -pv;
            }
            acc_s[mt][nt][2 * hf + e] = pv;
          }
      }

    // Pd to shared memory (dropped elements are 0, kept ones scaled by 1 / (1 - p)).
#pragma unroll
    for (int mt = 0; mt < MTs; ++mt)
#pragma unroll
      for (int nt = 0; nt < NTs; ++nt)
#pragma unroll
        for (int hf = 0; hf < 2; ++hf) {
          float v0 = acc_s[mt][nt][2 * hf], v1 = acc_s[mt][nt][2 * hf + 1];
          if constexpr (kDropout) {
            v0 = fmaxf(v0, 0.0f) * args.keep_scale;
            v1 = fmaxf(v1, 0.0f) * args.keep_scale;
          }
          const std::uint32_t off = tile_off<TileP>(off_p_st, mt * MSs + hf * 8, (nt >> 1) * NSs + (nt & 1) * 8);
          asm volatile("st.shared.b32 [%0], %1;\n" ::"r"(sP + off), "r"(ptx::pack2<T>(v0, v1)));
        }

    // ---- dP = dO V^T; dS = P * (dP - delta) -------------------------------------------------------
    float acc_dp[MTs][NTs][4];
    zero(acc_dp);
    warp_gemm<T, MTs, NTs, D, MSs, NSs, false, false, TileQ, TileKV>(acc_dp, sDO, off_q_amk, sV, off_k_bnk);
#pragma unroll
    for (int mt = 0; mt < MTs; ++mt)
#pragma unroll
      for (int hf = 0; hf < 2; ++hf) {
        const float dlt = delta_smem[buf * Br + sdp_m + g + mt * MSs + hf * 8];
#pragma unroll
        for (int nt = 0; nt < NTs; ++nt) {
          float ds[2];
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            const float ps = acc_s[mt][nt][2 * hf + e];
            float dp = acc_dp[mt][nt][2 * hf + e];
            if constexpr (kDropout) dp = ps >= 0.0f ? dp * args.keep_scale : 0.0f;
            ds[e] = fabsf(ps) * (dp - dlt);
          }
          const std::uint32_t off = tile_off<TileP>(off_p_st, mt * MSs + hf * 8, (nt >> 1) * NSs + (nt & 1) * 8);
          asm volatile("st.shared.b32 [%0], %1;\n" ::"r"(sDS + off), "r"(ptx::pack2<T>(ds[0], ds[1])));
        }
      }
    __syncthreads();  // Pd and dS complete

    // ---- dV += Pd^T dO ----------------------------------------------------------------------------
    warp_gemm<T, MTkv, NTkv, Br, MSkv, NSkv, true, true, TileP, TileQ>(acc_dv, sP, frag_off_a_km<TileP>(kv_m, lane), sDO,
                                                                        frag_off_b_kn<TileQ>(kv_n, lane));

    // ---- dQ += dS K (fp32 atomics, two neighbouring columns per 8-byte vector add; rows past Nq
    // add zeros into the padding rows) -------------------------------------------------------------
#pragma unroll
    for (int slice = 0; slice < Tr::kDqSplit; ++slice) {
      constexpr int NTqs = NTq / Tr::kDqSplit;
      const int col0 = slice * (NTqs / 2) * NSq;  // first column of this slice (per-warp interleave)
      float acc_dq[MTq][NTqs][4];
      zero(acc_dq);
      warp_gemm<T, MTq, NTqs, Bc, MSq, NSq, false, true, TileP, TileKV>(
          acc_dq, sDS, frag_off_a_mk<TileP>(dq_m, lane), sK + col0 * 2, frag_off_b_kn<TileKV>(dq_n, lane));
      float* dst = args.dq_accum + (row_base(c) + i0 + dq_m + g) * D + dq_n + 2 * t + col0;
#pragma unroll
      for (int mt = 0; mt < MTq; ++mt)
#pragma unroll
        for (int hf = 0; hf < 2; ++hf)
#pragma unroll
          for (int nt = 0; nt < NTqs; ++nt)
            atomic_add_pair(dst + (mt * MSq + hf * 8) * D + (nt >> 1) * NSq + (nt & 1) * 8,
                            acc_dq[mt][nt][2 * hf], acc_dq[mt][nt][2 * hf + 1]);
    }

    // ---- dK += dS^T Q -----------------------------------------------------------------------------
    warp_gemm<T, MTkv, NTkv, Br, MSkv, NSkv, true, true, TileP, TileQ>(acc_dk, sDS, frag_off_a_km<TileP>(kv_m, lane), sQ,
                                                                        frag_off_b_kn<TileQ>(kv_n, lane));

    i = i_next;
  }
  ptx::cp_async_wait<0>();

  // ---- write dK (times the softmax scale) and dV ---------------------------------------------------
  const Coords<Tr> c(tid_x_volatile(), ctaid_x_volatile(), args);
  const int g = c.g, t = c.t, j0 = c.j0, kv_m = c.kv_m, kv_n = c.kv_n;
  if (args.dk_accum != nullptr) {
    add_dkv_to_group<Tr>(args, c, acc_dk, acc_dv);
    return;
  }
  const std::int64_t row0 = seq_row0(p, c.b);
  T* gdk = static_cast<T*>(p.dk) + c.b * p.dk_stride_b + c.h * p.dk_stride_h + row0 * p.dk_stride_n;
  T* gdv = static_cast<T*>(p.dv) + c.b * p.dv_stride_b + c.h * p.dv_stride_h + row0 * p.dv_stride_n;
#pragma unroll
  for (int mt = 0; mt < MTkv; ++mt)
#pragma unroll
    for (int hf = 0; hf < 2; ++hf) {
      const int row = j0 + kv_m + mt * MSkv + g + hf * 8;
      if (row >= nk) continue;
#pragma unroll
      for (int nt = 0; nt < NTkv; ++nt) {
        const int col = kv_n + (nt >> 1) * NSkv + (nt & 1) * 8 + 2 * t;
        *reinterpret_cast<std::uint32_t*>(gdk + row * p.dk_stride_n + col) =
            ptx::pack2<T>(acc_dk[mt][nt][2 * hf] * args.scale, acc_dk[mt][nt][2 * hf + 1] * args.scale);
        *reinterpret_cast<std::uint32_t*>(gdv + row * p.dv_stride_n + col) =
            ptx::pack2<T>(acc_dv[mt][nt][2 * hf], acc_dv[mt][nt][2 * hf + 1]);
      }
    }
}

}  // namespace fa::flash::bwd
