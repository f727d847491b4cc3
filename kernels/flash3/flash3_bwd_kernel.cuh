#pragma once
// flash3 backward main kernel: FlashAttention-3's backward design (Shah et al. 2024) in our own code, for
// sm_90a. Around it run the flash family's preprocess (dPsum = rowsum(dO * O), lse in the log2 domain,
// the fp32 dQ accumulator zeroed) and postprocess (dQ = scale * accumulator in the element type).
//
// One CTA per (key block of BN = 128, K/V head, batch), keys fastest (causal: the key blocks that see the most
// query blocks run first, in rounds over the heads: work_of). It walks the steps (query head of the K/V head's
// group, query block of BM = 64 rows), heads outer, so dK and dV of the whole group add up in registers: no
// atomics, stored once (with as many K/V heads as query heads the group is one head and the steps are its query
// blocks). Per CTA:
//   producer warpgroup  one thread: K and V once (TMA), then per step Q + lse2 and dO + dPsum of its query
//                       head and block into a ring of stages, each with a "full" and an "empty" mbarrier;
//   2 consumer warpgroups, 64 keys each; per query block, everything transposed (keys are the M dimension):
//     S^T  = K Q^T,  dP^T = V dO^T          wgmma, both operands K-major in shared memory;
//     P^T  = exp2(S^T scale log2e - lse2)   masked (ragged key edge, causal diagonal);
//     dS^T = P^T (dP^T Z / (1 - p) - dPsum) Z the shared dropout keep-mask (1 without dropout);
//     dV  += (P^T Z / (1 - p)) dO,  dK += dS^T Q   wgmma with A re-packed from the accumulator
//                                           registers, B = dO / Q (MN-major for this product);
//     dQ   = dS K (of the previous step)    dS^T of both warpgroups through shared memory; warpgroup c
//                                           computes its slice of dQ's columns over all 128 keys (A = dS^T
//                                           read transposed, B = K MN-major) and stages it (fp32, swizzled);
//   dQ writer warp (producer warpgroup)     adds each staged slice into its query head's accumulator
//                                           with TMA reduce-adds (cp.reduce.async.bulk.tensor .add.f32),
//                                           handed over and back through a full / empty mbarrier pair per
//                                           consumer warpgroup, so no consumer waits at a barrier for it.
//   dK (times the softmax scale) and dV are stored once at the end, through shared memory (the K and V
//   tiles) by TMA stores.
// Why a TMA reduce for dQ rather than red.global.add from registers: one instruction per 32 x 64 block
// instead of 16 vector atomics per thread, issued off the consumers' critical path (the copy engine reads
// the staging buffer while the warpgroup goes on), and the adds reach L2 as whole 128-byte lines. The
// swizzled staging layout makes the fp32 pair stores bank-conflict free and is what the TMA box expects.
#include <cuda.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "core/pack_half2.cuh"
#include "core/philox.hpp"
#include "kernels/flash3/flash3_bwd.hpp"
#include "kernels/flash3/flash3_bwd_dropout.hpp"
#include "kernels/flash3/flash3_bwd_traits.cuh"
#include "kernels/flash3/flash3_gemm.cuh"
#include "kernels/flash3/flash3_params.hpp"
#include "kernels/flash3/flash3_tile_ops.cuh"
#include "kernels/flash3/hopper_ptx.cuh"
#include "kernels/flash3/wgmma_ops.cuh"

namespace fa::flash3 {

namespace bwd3 {

// Named barrier ids: both consumer warpgroups (256 threads: K and V free at the end; the start of warpgroup
// 1); warpgroup c alone (128 threads: after its dQ staging with dropout, its dK / dV staging, the first
// dropout masks). dS^T goes between the warpgroups through mbarriers (Smem::ds_full / ds_empty).
constexpr int kBarBothDone = 1;
constexpr int kBarDqStage = 2;  // + cw
constexpr int kBarStagger = 4;  // warpgroup 1 starts once warpgroup 0 has its first P^T (see the kernel)

template <class Tr>
struct Smem {
  std::uint32_t base;
  __device__ std::uint32_t k() const { return base + Tr::kOffK; }
  __device__ std::uint32_t v() const { return base + Tr::kOffV; }
  __device__ std::uint32_t k_dq() const { return Tr::kDqOwnK ? base + Tr::kOffKdq : k(); }
  __device__ std::uint32_t q(int s) const { return base + Tr::kOffQ + s * Tr::kQBytes; }
  __device__ std::uint32_t dout(int s) const { return base + Tr::kOffDO + s * Tr::kQBytes; }
  __device__ std::uint32_t ds(int buf) const { return base + Tr::kOffDs + buf * Tr::kDsBytes; }
  __device__ std::uint32_t dq(int cw) const { return base + (cw == 0 ? Tr::kOffDq0 : Tr::kOffDq1); }
  __device__ std::uint32_t lse(int s) const { return base + Tr::kOffLse + s * Tr::kRowBytes; }
  __device__ std::uint32_t dpsum(int s) const { return base + Tr::kOffDpsum + s * Tr::kRowBytes; }
  __device__ std::uint32_t mask(int cw, int step) const {
    return base + Tr::kOffMask + (2 * cw + (step & 1)) * Tr::kMaskBytes;
  }
  __device__ std::uint32_t bar(int i) const { return base + Tr::kOffBars + 8 * i; }
  __device__ std::uint32_t full_k() const { return bar(0); }
  __device__ std::uint32_t full_v() const { return bar(1 + 4 * Tr::kStages); }
  __device__ std::uint32_t full_q(int s) const { return bar(1 + s); }
  __device__ std::uint32_t empty_q(int s) const { return bar(1 + Tr::kStages + s); }
  __device__ std::uint32_t full_do(int s) const { return bar(1 + 2 * Tr::kStages + s); }
  __device__ std::uint32_t empty_do(int s) const { return bar(1 + 3 * Tr::kStages + s); }
  __device__ std::uint32_t dq_full(int cw) const { return bar(2 + 4 * Tr::kStages + cw); }
  __device__ std::uint32_t dq_empty(int cw) const { return bar(2 + 4 * Tr::kStages + Tr::kConsumerWGs + cw); }
  __device__ std::uint32_t ds_full(int buf) const { return bar(2 + 4 * Tr::kStages + 2 * Tr::kConsumerWGs + buf); }
  __device__ std::uint32_t ds_empty(int buf) const {
    return bar(2 + 4 * Tr::kStages + 2 * Tr::kConsumerWGs + Tr::kDsBufs + buf);
  }
};

// This CTA's key block and (batch, K/V head), and the query blocks that see any of its keys: the same ones
// for every query head of the group (causal masking depends on positions only). In the block-mask instances
// (kBlockMask, for block_sparse: one query head per K/V head) [m_begin, m_end) is instead the key block's range in
// the host-built list of the query blocks its mask column keeps (flash3_block_lists.hpp), so masked pairs are no
// steps at all; the dense instances read no list.
struct Work {
  int n0;          // first key
  int hk, b;       // K/V head, batch
  int m_begin, m_end;
};

template <class Tr, bool kCausal, bool kBlockMask>
__device__ __forceinline__ Work work_of(unsigned block, const Flash3BwdParams& p) {
  const unsigned num_n = static_cast<unsigned>((p.seqlen_kv + Tr::BN - 1) / Tr::BN);
  const unsigned kv_heads = static_cast<unsigned>(kv_heads_of(p));
  Work w;
  unsigned kb, bhk;
  if constexpr (kCausal) {
    // The longest key blocks (the first) go first, in rounds of bwd_causal_round_tiles blocks of every (batch, K/V
    // head) (flash3_tiles.hpp says why).
    const CausalSlot s = causal_slot(block, num_n, kv_heads * static_cast<unsigned>(p.batch),
                                     bwd_causal_round_tiles(static_cast<int>(num_n)));
    bhk = s.head;
    kb = s.rank;
  } else {
    kb = block % num_n;
    bhk = block / num_n;
  }
  w.n0 = static_cast<int>(kb) * Tr::BN;
  w.hk = static_cast<int>(bhk % kv_heads);
  w.b = static_cast<int>(bhk / kv_heads);
  if constexpr (kBlockMask) {
    const int* off = p.mask_q_offsets + static_cast<long long>(p.mask_heads == 1 ? 0 : w.hk) * num_n + kb;
    w.m_begin = __ldg(off);
    w.m_end = __ldg(off + 1);
    return w;
  }
  w.m_end = (p.seqlen_q + Tr::BM - 1) / Tr::BM;
  w.m_begin = 0;
  if constexpr (kCausal) {
    // Row i sees key j iff j <= i + Nk - Nq: the first row that sees key n0.
    const int first_row = w.n0 - (p.seqlen_kv - p.seqlen_q);
    if (first_row > 0) w.m_begin = first_row / Tr::BM;
  }
  return w;
}

// The CTA's steps: every (query head of the group, query block in [m_begin, m_end)), heads outer.
__device__ __forceinline__ int steps_of(const Work& w, const Flash3BwdParams& p) {
  return w.m_end > w.m_begin ? (w.m_end - w.m_begin) * p.kv_group : 0;
}

// Step i's query head and query block.
struct Step {
  int h, m;
};

template <bool kBlockMask>
__device__ __forceinline__ Step step_at(const Work& w, int i, const Flash3BwdParams& p) {
  if constexpr (kBlockMask) return {w.hk, __ldg(p.mask_q_blocks + w.m_begin + i)};
  const int per_head = w.m_end - w.m_begin;
  return {w.hk * p.kv_group + i / per_head, w.m_begin + i % per_head};
}

// ---------------------------------------------------------------------------------------------
// The GEMMs of one step, as wgmma batches (the caller fences, commits and waits).
// ---------------------------------------------------------------------------------------------

// S^T = K_w Q^T or dP^T = V_w dO^T: A = the warpgroup's 64 keys of K / V, B = the query block of Q / dO;
// both K-major (the head dim is contiguous).
template <class Tr, class T>
__device__ __forceinline__ void gemm_keys_queries(float (&acc)[Tr::BM / 2], std::uint32_t a_base,
                                                  std::uint32_t b_base) {
  gemm_ss_kmajor<Tr::BM, T, Tr::D, Tr::kSwz, DescSteps::kAdvance>(acc, a_base, Tr::kKVRegionBytes, b_base,
                                                                  Tr::kQRegionBytes);
}

// dV += P^T dO or dK += dS^T Q: A from registers (k = the block's 64 queries), B = the [BM x D] tile of dO
// / Q, MN-major for this product (N = D contiguous).
template <class Tr, class T>
__device__ __forceinline__ void gemm_keys_dims(float (&acc)[Tr::D / 2], const std::uint32_t (&a)[Tr::BM / 16][4],
                                               std::uint32_t b_base) {
  gemm_rs_mnmajor<Tr::D, T, Tr::BM, Tr::kSwz, DescSteps::kAdvance>(acc, a, b_base, Tr::kQRegionBytes);
}

// dQ[:, col0 : col0 + N] = dS K[:, col0 : col0 + N] over the CTA's 128 keys: A = dS^T (stored [keys x
// queries], so MN-major: transposed), B = K (MN-major: transposed) in its dQ view (regions of kDqSwz
// columns), col0 and N whole regions.
template <class Tr, class T, int N>
__device__ __forceinline__ void gemm_dq(float (&acc)[N / 2], std::uint32_t ds_base, std::uint32_t k_base, int col0) {
  constexpr int kRowBytes = Tr::kDqSwz * 2;
  const std::uint32_t kb = k_base + (col0 / Tr::kDqSwz) * Tr::kDqKRegionBytes;
  const std::uint64_t da0 = ptx::smem_desc(ds_base, Tr::kDsBytes, 8 * (Tr::BM * 2), Tr::kDsSwzMode);
  const std::uint64_t db0 = ptx::smem_desc(kb, Tr::kDqKRegionBytes, 8 * kRowBytes, Tr::kDqSwzMode);
#pragma unroll
  for (int kk = 0; kk < Tr::BN / 16; ++kk) {
    const std::uint64_t da = ptx::smem_desc_advance(da0, kk * 16 * (Tr::BM * 2));
    const std::uint64_t db = ptx::smem_desc_advance(db0, kk * 16 * kRowBytes);
    wgmma::wgmma_ss<N, T, 1, 1>(acc, da, db, kk > 0 ? 1 : 0);
  }
}

template <int R>
__device__ __forceinline__ void zero(float (&r)[R]) {
#pragma unroll
  for (int i = 0; i < R; ++i) r[i] = 0.f;
}

template <int K>
__device__ __forceinline__ void pin_frags(std::uint32_t (&a)[K][4]) {
#pragma unroll
  for (int kk = 0; kk < K; ++kk) ptx::fence_regs(a[kk]);
}

// ---------------------------------------------------------------------------------------------
// Element j of a thread's m64nN fp32 fragment is row 16 * warp + lane / 4 + 8 * ((j / 2) % 2) (a key of
// the warpgroup's slice) and column 8 * (j / 4) + 2 * (lane % 4) + (j % 2) (a query of the block).
// ---------------------------------------------------------------------------------------------

// A thread's entries of a per-query fp32 row of the block in shared memory (lse2 or dPsum): one 8-byte load
// per query pair. Loaded apart from their use so that lse2 can be read before the wait for S^T, whose
// softmax would otherwise start with the loads' latency (the asm loads cannot move past the wait).
template <int BM>
struct QueryValues {
  float2 v[BM / 8];
  __device__ __forceinline__ void load(std::uint32_t row, int t) {
#pragma unroll
    for (int i = 0; i < BM / 8; ++i) v[i] = ld_shared_f32x2(row + (8 * i + 2 * t) * 4);
  }
  // Calls f(j, value) for every element j of the fragment.
  template <class F>
  __device__ __forceinline__ void for_each(F&& f) const {
#pragma unroll
    for (int i = 0; i < BM / 8; ++i)
#pragma unroll
      for (int e = 0; e < 4; ++e) f(4 * i + e, (e & 1) ? v[i].y : v[i].x);
  }
};

// P^T = exp2(S^T scale log2e - lse2[query]) in place; with `masked`, 0 for keys past Nk and (causal) keys
// past the diagonal. Rows past Nq and fully masked rows have lse2 = +inf: P = 0 there without a test.
template <class Tr, bool kCausal>
__device__ __forceinline__ void probabilities(float (&s)[Tr::BM / 2], const QueryValues<Tr::BM>& lse2s,
                                              float scale_log2, bool masked, int key0, int q0, int t,
                                              const Flash3BwdParams& p) {
  const int diag = p.seqlen_kv - p.seqlen_q;
  lse2s.for_each([&](int j, float lse2) {
    s[j] = ptx::exp2_approx(fmaf(s[j], scale_log2, -lse2));
    if (masked) {
      const int key = key0 + 8 * ((j / 2) % 2), query = q0 + 8 * (j / 4) + 2 * t + j % 2;
      if (key >= p.seqlen_kv || (kCausal && key > query + diag)) s[j] = 0.f;
    }
  });
}

// dS^T = P^T (dP^T - dPsum[query]), in place of dP^T. With dropout, dP^T of a dropped element is 0 and that
// of a kept one is scaled by 1 / (1 - p) (P itself stays the undropped softmax).
template <class Tr, bool kDropout>
__device__ __forceinline__ void score_grads(float (&dp)[Tr::BM / 2], const float (&pt)[Tr::BM / 2],
                                            const QueryValues<Tr::BM>& dpsums, std::uint32_t keep, float keep_scale) {
  dpsums.for_each([&](int j, float dpsum) {
    float dpj = dp[j];
    if constexpr (kDropout) dpj = (keep >> j) & 1u ? dpj * keep_scale : 0.f;
    dp[j] = pt[j] * (dpj - dpsum);
  });
}

// Dropout (flash3_bwd_dropout.hpp): the warpgroup draws the 256 Philox calls of step `step`'s tile (its query
// head and block), 2 per thread, as 16-bit keep masks into shared memory ...
template <class Tr, bool kCausal, bool kBlockMask>
__device__ __forceinline__ void draw_keep_masks(std::uint32_t masks, const Flash3BwdParams& p, int cw, int step) {
  // The block's coordinates are re-derived here from special registers read through volatile asm: the
  // compiler cannot keep them live across the main loop, where every register is taken at D = 128.
  const Work w = work_of<Tr, kCausal, kBlockMask>(fa::ctaid_x_volatile(), p);
  const Step st = step_at<kBlockMask>(w, step, p);
  const int tid = static_cast<int>(fa::tid_x_volatile() % 128);
#pragma unroll
  for (int c = 0; c < 2; ++c) {
    const int i = tid + 128 * c;
    const std::uint32_t keep = dropout_keep_mask16(
        dropout_random(p.seed, static_cast<std::uint32_t>(w.b), static_cast<std::uint32_t>(st.h),
                       bwd_mask_counter_row(i, st.m), bwd_mask_counter_col(i, w.n0 + 64 * cw)),
        p.dropout_threshold8);
    asm volatile("st.shared.u16 [%0], %1;\n" ::"r"(masks + 2 * i), "h"(static_cast<unsigned short>(keep)) : "memory");
  }
}

// ... and, after a barrier, each thread gathers the flags of its fragment (bit j for element j).
__device__ __forceinline__ std::uint32_t gather_keep_flags(std::uint32_t masks, int warp, int g, int t) {
  auto load = [masks](int i) {
    unsigned short raw;
    asm volatile("ld.shared.u16 %0, [%1];\n" : "=h"(raw) : "r"(masks + 2 * i) : "memory");
    return static_cast<std::uint32_t>(raw);
  };
  return bwd_gather_keep_flags(load, warp, g, t);
}

// P^T with dropout applied (kept elements times 1 / (1 - p), the others 0), packed as the A operand of dV's
// GEMM pair by pair, so no fp32 copy of the tile is ever live next to P^T and dP^T.
template <int N, class T>
__device__ __forceinline__ void dropped_to_a(const float (&pt)[N / 2], std::uint32_t keep, float keep_scale,
                                             std::uint32_t (&pa)[N / 16][4]) {
  auto kept = [&](int j) { return (keep >> j) & 1u ? pt[j] * keep_scale : 0.f; };
#pragma unroll
  for (int kk = 0; kk < N / 16; ++kk)
#pragma unroll
    for (int r = 0; r < 4; ++r) pa[kk][r] = pack_half2<T>(kept(8 * kk + 2 * r), kept(8 * kk + 2 * r + 1));
}

// The warpgroup's rows of dS^T (packed pairs, as the A fragments hold them) into the swizzled [BN x BM] tile.
template <class Tr>
__device__ __forceinline__ void store_ds(std::uint32_t ds_tile, const std::uint32_t (&dsa)[Tr::BM / 16][4], int lrow0,
                                         int t) {
#pragma unroll
  for (int kk = 0; kk < Tr::BM / 16; ++kk)
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int row = lrow0 + 8 * (r & 1), col = 16 * kk + 8 * (r >> 1) + 2 * t;
      st_shared_u32(ds_tile + swizzled_offset<64>(row, col, Tr::kDsBytes), dsa[kk][r]);
    }
}

// The warpgroup's dQ slice of one step, N columns from col0: dS K over the CTA's keys, staged in the
// warpgroup's own buffer once the dQ writer's previous reduce has read it (dq_empty, parity `empty_parity`),
// then handed to the writer (dq_full). `operands_free` runs once every earlier wgmma group of the step is
// complete; returns with all of them complete.
//
// The staging stores are 8-byte pairs, which shared memory serves a half-warp at a time: rows g = 0..3 of a
// half-warp write the same 16-byte column pair of a 128-byte row, and under the 128-byte swizzle (chunk XOR
// row % 8) they land on only four chunk positions, a 2-way conflict. Threads of odd rows therefore store
// their column block cb ^ 2 when the others store cb (a select per value; every thread still writes all
// its own elements), which spreads each half-warp over all eight positions.
template <class Tr, class T, int N, class F>
__device__ __forceinline__ void dq_step(const Smem<Tr>& sm, const RingPos<Tr::kDsBufs>& ds, int cw, int col0, int lrow,
                                        int t, std::uint32_t empty_parity, F&& operands_free) {
  static_assert(N % 32 == 0, "whole 32-column staging regions (the swap stays inside one)");
  float dq[N / 2];
  ptx::mbar_wait(sm.ds_full(ds.stage), ds.phase);  // both warpgroups' dS^T of the step are in place
  ptx::wgmma_fence();
  gemm_dq<Tr, T, N>(dq, sm.ds(ds.stage), sm.k_dq(), col0);
  ptx::wgmma_commit();
  ptx::wgmma_wait<1>();
  operands_free();
  ptx::wgmma_wait<0>();
  ptx::fence_regs(dq);
  ptx::mbar_arrive(sm.ds_empty(ds.stage));  // this thread's part of the GEMM has read the buffer
  const std::uint32_t stage = sm.dq(cw);
  const bool odd = (lrow & 1) != 0;
  ptx::mbar_wait(sm.dq_empty(cw), empty_parity);
#pragma unroll
  for (int j = 0; j < N / 2; j += 2) {
    const int js = odd ? (j ^ 8) : j;  // column block (j / 4) ^ 2 for odd rows
    const float a = odd ? dq[j ^ 8] : dq[j], b = odd ? dq[(j ^ 8) + 1] : dq[j + 1];
    st_shared_f32x2(stage + swizzled_offset_f32(lrow + 8 * ((j / 2) % 2), 8 * (js / 4) + 2 * t, Tr::kDqRegionBytes),
                    a, b);
  }
  ptx::fence_proxy_async_smem();
  ptx::mbar_arrive(sm.dq_full(cw));
}

// The dS^T buffer of the i-th step of the CTA and the parity of its use: derived from the step rather than
// carried through the loop (at D = 128, causal, the main loop has no register to spare).
template <class Tr>
__device__ __forceinline__ RingPos<Tr::kDsBufs> ds_buffer(int i) {
  RingPos<Tr::kDsBufs> r;
  r.stage = i % Tr::kDsBufs;
  r.phase = static_cast<std::uint32_t>(i / Tr::kDsBufs) & 1u;
  return r;
}

// dq_step with warpgroup cw's slice width (the two differ at D = 96).
template <class Tr, class T, class F>
__device__ __forceinline__ void dq_step_of(const Smem<Tr>& sm, const RingPos<Tr::kDsBufs>& ds, int cw, int lrow, int t,
                                           std::uint32_t empty_parity, F&& operands_free) {
  if constexpr (Tr::kDqCols0 == Tr::kDqCols1) {
    dq_step<Tr, T, Tr::kDqCols0>(sm, ds, cw, cw * Tr::kDqCols0, lrow, t, empty_parity, operands_free);
  } else if (cw == 0) {
    dq_step<Tr, T, Tr::kDqCols0>(sm, ds, cw, 0, lrow, t, empty_parity, operands_free);
  } else {
    dq_step<Tr, T, Tr::kDqCols1>(sm, ds, cw, Tr::kDqCols0, lrow, t, empty_parity, operands_free);
  }
}

// The dQ writer (one thread of the producer warpgroup): per step, each consumer warpgroup's staged slice into
// the fp32 accumulator of the step's query head and block by TMA reduce-adds, its buffer handed back as soon
// as the copy engine has read it. Waits for every reduce to complete before the CTA may exit.
template <class Tr, bool kBlockMask>
__device__ void write_dq(const Smem<Tr>& sm, const CUtensorMap* tm_dq, const Flash3BwdParams& p, const Work& w) {
  static_assert(Tr::kConsumerWGs == 2, "the hand-back below names both warpgroups' groups");
  std::uint32_t parity = 0;
  const int steps = steps_of(w, p);
  for (int i = 0; i < steps; ++i, parity ^= 1u) {
    const Step st = step_at<kBlockMask>(w, i, p);
#pragma unroll
    for (int cw = 0; cw < Tr::kConsumerWGs; ++cw) {
      const int col0 = cw == 0 ? 0 : Tr::kDqCols0, cols = cw == 0 ? Tr::kDqCols0 : Tr::kDqCols1;
      ptx::mbar_wait(sm.dq_full(cw), parity);
#pragma unroll
      for (int r = 0; r < cols / 32; ++r)
        ptx::tma_reduce_add_4d(tm_dq, sm.dq(cw) + r * Tr::kDqRegionBytes, col0 + 32 * r, st.m * Tr::BM, st.h, w.b);
      ptx::tma_store_commit();
    }
    ptx::tma_store_wait_read<1>();
    ptx::mbar_arrive(sm.dq_empty(0));
    ptx::tma_store_wait_read<0>();
    ptx::mbar_arrive(sm.dq_empty(1));
  }
  ptx::tma_store_wait_all();
}

// ---------------------------------------------------------------------------------------------
// Producer: one thread. K and V once, then Q + lse2 and dO + dPsum of each step as stages free up.
// ---------------------------------------------------------------------------------------------
template <class Tr, bool kBlockMask>
__device__ void produce(const Smem<Tr>& sm, const Bwd3Maps& maps, const Flash3BwdParams& p, const Work& w) {
  const CUtensorMap *tm_q = &maps.q, *tm_k = &maps.k, *tm_v = &maps.v, *tm_do = &maps.dout, *tm_kdq = &maps.k_dq;
  // K first (with the first Q block it is all the first S GEMM needs), V after the first Q block.
  ptx::mbar_arrive_expect_tx(sm.full_k(), Tr::kKVBytes + Tr::kDqKBytes);
#pragma unroll
  for (int r = 0; r < Tr::kRegions; ++r)
    ptx::tma_load_4d(sm.k() + r * Tr::kKVRegionBytes, tm_k, sm.full_k(), r * Tr::kSwz, w.n0, w.hk, w.b);
  if constexpr (Tr::kDqOwnK) {
#pragma unroll
    for (int r = 0; r < Tr::D / Tr::kDqSwz; ++r)
      ptx::tma_load_4d(sm.k_dq() + r * Tr::kDqKRegionBytes, tm_kdq, sm.full_k(), r * Tr::kDqSwz, w.n0, w.hk, w.b);
  }
  RingPos<Tr::kStages> pos;
  const int steps = steps_of(w, p);
  for (int i = 0; i < steps; ++i) {
    const auto [h, m] = step_at<kBlockMask>(w, i, p);
    const long long row0 = (static_cast<long long>(w.b) * p.heads + h) * p.nq_pad;  // of lse2 and dPsum
    const int s = pos.stage;
    ptx::mbar_wait(sm.empty_q(s), pos.phase ^ 1u);
    ptx::mbar_arrive_expect_tx(sm.full_q(s), Tr::kQBytes + Tr::kRowBytes);
#pragma unroll
    for (int r = 0; r < Tr::kRegions; ++r)
      ptx::tma_load_4d(sm.q(s) + r * Tr::kQRegionBytes, tm_q, sm.full_q(s), r * Tr::kSwz, m * Tr::BM, h, w.b);
    ptx::bulk_load(sm.lse(s), p.lse2 + row0 + m * Tr::BM, Tr::kRowBytes, sm.full_q(s));
    if (i == 0) {
      ptx::mbar_arrive_expect_tx(sm.full_v(), Tr::kKVBytes);
#pragma unroll
      for (int r = 0; r < Tr::kRegions; ++r)
        ptx::tma_load_4d(sm.v() + r * Tr::kKVRegionBytes, tm_v, sm.full_v(), r * Tr::kSwz, w.n0, w.hk, w.b);
    }
    ptx::mbar_wait(sm.empty_do(s), pos.phase ^ 1u);
    ptx::mbar_arrive_expect_tx(sm.full_do(s), Tr::kQBytes + Tr::kRowBytes);
#pragma unroll
    for (int r = 0; r < Tr::kRegions; ++r)
      ptx::tma_load_4d(sm.dout(s) + r * Tr::kQRegionBytes, tm_do, sm.full_do(s), r * Tr::kSwz, m * Tr::BM, h, w.b);
    ptx::bulk_load(sm.dpsum(s), p.dpsum + row0 + m * Tr::BM, Tr::kRowBytes, sm.full_do(s));
    pos.advance();
  }
}

// dK (times the softmax scale) and dV of the warpgroup's 64 keys, summed over the group's query heads, staged
// (swizzled, the TMA box layout) in the warpgroup's own rows of the K and V tiles and written by TMA stores,
// which clip the rows past Nk. The caller has made sure no warpgroup still reads K or V.
template <class Tr, class T>
__device__ __forceinline__ void store_dk_dv(const Smem<Tr>& sm, const Bwd3Maps& maps, const float (&dk)[Tr::D / 2],
                                            const float (&dv)[Tr::D / 2], const Work& w, int cw, int lrow0, int t,
                                            bool leader, float scale) {
#pragma unroll
  for (int j = 0; j < Tr::D / 2; j += 2) {
    const std::uint32_t off =
        swizzled_offset<Tr::kSwz>(lrow0 + 8 * ((j / 2) % 2), 8 * (j / 4) + 2 * t, Tr::kKVRegionBytes);
    st_shared_u32(sm.k() + off, pack_half2<T>(dk[j] * scale, dk[j + 1] * scale));
    st_shared_u32(sm.v() + off, pack_half2<T>(dv[j], dv[j + 1]));
  }
  ptx::fence_proxy_async_smem();
  ptx::named_bar_sync(kBarDqStage + cw, 128);
  if (leader) {
    const std::uint32_t rows = 64 * cw * Tr::kSwzBytes;
#pragma unroll
    for (int r = 0; r < Tr::kRegions; ++r) {
      ptx::tma_store_4d(&maps.dk, sm.k() + r * Tr::kKVRegionBytes + rows, r * Tr::kSwz, w.n0 + 64 * cw, w.hk, w.b);
      ptx::tma_store_4d(&maps.dv, sm.v() + r * Tr::kKVRegionBytes + rows, r * Tr::kSwz, w.n0 + 64 * cw, w.hk, w.b);
    }
    ptx::tma_store_commit();
  }
}

}  // namespace bwd3

// kBlockMask: the steps are the block mask's list (Flash3Params::mask_q_*); false: the dense range, no list read.
template <class Tr, class T, bool kCausal, bool kDropout, bool kBlockMask>
__global__ void __launch_bounds__(Tr::kThreads, 1)
    flash3_bwd_kernel(const __grid_constant__ Bwd3Maps maps, const Flash3BwdParams p) {
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using namespace bwd3;
  constexpr int BM = Tr::BM, D = Tr::D;
  extern __shared__ unsigned char smem_raw[];
  const Smem<Tr> sm{(ptx::smem_u32(smem_raw) + 1023u) & ~1023u};
  const Work w = work_of<Tr, kCausal, kBlockMask>(blockIdx.x, p);

  if (threadIdx.x == 0) {
    ptx::prefetch_tmap(&maps.q);
    ptx::prefetch_tmap(&maps.k);
    ptx::prefetch_tmap(&maps.v);
    ptx::prefetch_tmap(&maps.dout);
    ptx::prefetch_tmap(&maps.k_dq);
    ptx::prefetch_tmap(&maps.dq_accum);
    ptx::mbar_init(sm.full_k(), 1);
    ptx::mbar_init(sm.full_v(), 1);
    for (int s = 0; s < Tr::kStages; ++s) {
      ptx::mbar_init(sm.full_q(s), 1);
      // Every consumer thread releases a stage: each has read lse2 and dPsum there with plain loads, and
      // its own arrive orders those reads before the producer's next bulk copy into the stage (one
      // arrive per warpgroup after a barrier orders them too, but compute-sanitizer's racecheck cannot
      // follow that chain and reports the reads as racing with the copy).
      ptx::mbar_init(sm.empty_q(s), Tr::kConsumerWGs * 128);
      ptx::mbar_init(sm.full_do(s), 1);
      ptx::mbar_init(sm.empty_do(s), Tr::kConsumerWGs * 128);
    }
    for (int cw = 0; cw < Tr::kConsumerWGs; ++cw) {
      ptx::mbar_init(sm.dq_full(cw), 128);  // every consumer thread, after its own proxy fence
      ptx::mbar_init(sm.dq_empty(cw), 1);   // the dQ writer
    }
    for (int b = 0; b < Tr::kDsBufs; ++b) {
      ptx::mbar_init(sm.ds_full(b), Tr::kConsumerWGs * 128);   // every consumer thread, after its proxy fence
      ptx::mbar_init(sm.ds_empty(b), Tr::kConsumerWGs * 128);  // every consumer thread, its dQ GEMM done
    }
    ptx::fence_mbar_init();
  }
  __syncthreads();

  const int wg = threadIdx.x / 128;
  if (wg == 0) {
    ptx::regs_dealloc<Tr::kProducerRegs>();
    if (threadIdx.x == 0 && w.m_begin < w.m_end) produce<Tr, kBlockMask>(sm, maps, p, w);
    if (threadIdx.x == 32) write_dq<Tr, kBlockMask>(sm, &maps.dq_accum, p, w);
    return;
  }
  ptx::regs_alloc<Tr::kConsumerRegs>();

  // ---- consumer warpgroup cw: keys [n0 + 64 cw, n0 + 64 cw + 64) ----
  // Broadcast from lane 0: ptxas then knows cw is warp-uniform and keeps the operand addresses and the wgmma
  // descriptors derived from it in uniform registers (DescSteps, flash3_gemm.cuh); computed per thread, every
  // descriptor took vector arithmetic and two R2UR moves.
  const int cw = __shfl_sync(0xFFFFFFFFu, wg - 1, 0);
  const int tid = threadIdx.x % 128, warp = tid / 32, lane = tid % 32, t = lane % 4;
  const bool leader = tid == 0;
  const int lrow0 = 64 * cw + 16 * warp + lane / 4;  // this thread's first key inside the block
  const int key0 = w.n0 + lrow0;                     // its keys: key0, key0 + 8
  const float scale_log2 = p.scale * ptx::kLog2e;
  const std::uint32_t k_rows = sm.k() + 64 * cw * Tr::kSwzBytes, v_rows = sm.v() + 64 * cw * Tr::kSwzBytes;
  const float keep_scale = kDropout ? 1.f / (1.f - p.dropout_p_used) : 1.f;

  float dk[D / 2], dv[D / 2];
  zero(dk);
  zero(dv);
  const int steps = steps_of(w, p);
  const bool any_step = steps > 0;
  // Dropout: the keep masks of a step are drawn during the previous step (see after_dv_dk), those of the first
  // step here, into the buffer of the step's parity.
  if (kDropout && any_step) {
    draw_keep_masks<Tr, kCausal, kBlockMask>(sm.mask(cw, 0), p, cw, 0);
    ptx::named_bar_sync(kBarDqStage + cw, 128);
  }
  // The two warpgroups run half a step apart, so that one's softmax and dS (MUFU and ALU work) run under the
  // other's GEMMs instead of both leaving the tensor cores idle at once: warpgroup 1 starts when warpgroup 0
  // has its first P^T. Nothing realigns them afterwards: a step's dQ GEMM reads the previous step's dS^T of
  // both warpgroups (mbarriers, no rendezvous), which the later warpgroup wrote long before. Measured on an
  // H200 (docs/perf/2026-11-30-session12.md), cudnn_ms / flash3_ms of the backward at N 8192: D 128 0.86 ->
  // 0.94 (causal 0.86 -> 0.93), D 64 0.77 -> 0.81; but D 64 causal 0.79 -> 0.69, so not there.
  constexpr bool kStagger = D >= 96 || !kCausal;
  if (kStagger && cw == 1 && any_step) ptx::named_bar_sync(kBarStagger, 256);
  RingPos<Tr::kStages> pos;
  std::uint32_t dq_empty_parity = 1;  // the first wait on a fresh barrier passes
  const int lrow = lrow0 - 64 * cw;   // row inside the query block's dQ slice
  // Step i is query block m of query head h (step_at); everything below but the causal mask's q0 and the
  // dropout draws (which re-derive h and m) needs the step index only.
  for (int i = 0; i < steps; ++i) {
    const int s = pos.stage, q0 = step_at<kBlockMask>(w, i, p).m * BM;
    const bool masked = w.n0 + Tr::BN > p.seqlen_kv || (kCausal && w.n0 + Tr::BN - 1 > q0 + p.seqlen_kv - p.seqlen_q);
    float st[BM / 2], dpt[BM / 2];
    std::uint32_t pa[BM / 16][4], dsa[BM / 16][4];

    const bool first = i == 0;  // K and V land during the first step
    ptx::mbar_wait(sm.full_q(s), pos.phase);
    // lse2 lands with Q. Read after the GEMMs are issued, the loads queue behind their shared-memory operand
    // reads and the softmax waits for them (ncu at D 128: ~6 % of the stall samples). Read before the issue,
    // interleaved A/B on an H200 (docs/perf/2026-11-30-session13.md): D 64 causal N 8192 -8 % time, N 1024
    // -4 %, D 64 non-causal even; D 128 even to +1.5 % (non-causal N 8192). So early at D 64 only.
    constexpr bool kEarlyLse2 = D == 64;
    QueryValues<BM> lse2s;
    if constexpr (kEarlyLse2) lse2s.load(sm.lse(s), t);
    if (first) ptx::mbar_wait(sm.full_k(), 0);
    ptx::wgmma_fence();
    gemm_keys_queries<Tr, T>(st, k_rows, sm.q(s));
    ptx::wgmma_commit();
    ptx::mbar_wait(sm.full_do(s), pos.phase);
    if (first) ptx::mbar_wait(sm.full_v(), 0);
    ptx::wgmma_fence();  // the wait loop above is a new basic block: wgmma needs its own fence there
    gemm_keys_queries<Tr, T>(dpt, v_rows, sm.dout(s));
    ptx::wgmma_commit();
    [[maybe_unused]] std::uint32_t keep = 0;
    if constexpr (kDropout) keep = gather_keep_flags(sm.mask(cw, i), warp, lane / 4, t);
    if constexpr (!kEarlyLse2) lse2s.load(sm.lse(s), t);
    ptx::wgmma_wait<1>();
    ptx::fence_regs(st);
    probabilities<Tr, kCausal>(st, lse2s, scale_log2, masked, key0, q0, t, p);
    // dPsum (it lands with dO): at D 64 read before the dV GEMM is issued, like lse2 (A/B on an H200, session 13
    // call 6: -1 to -1.6 % backward time at N 512-1024, even at N 8192).
    QueryValues<BM> dpsums;
    if constexpr (kEarlyLse2) dpsums.load(sm.dpsum(s), t);
    if (kStagger && cw == 0 && first) ptx::named_bar_arrive(kBarStagger, 256);
    // dV += (P^T Z / (1 - p)) dO goes to the tensor cores while dS is computed.
    if constexpr (kDropout) {
      dropped_to_a<BM, T>(st, keep, keep_scale, pa);
    } else {
      acc_to_a<BM, T>(st, pa);
    }
    ptx::fence_regs(dv);
    pin_frags(pa);
    ptx::wgmma_fence();
    gemm_keys_dims<Tr, T>(dv, pa, sm.dout(s));
    ptx::wgmma_commit();
    ptx::wgmma_wait<1>();  // dP^T
    ptx::fence_regs(dpt);
    if constexpr (!kEarlyLse2) dpsums.load(sm.dpsum(s), t);
    score_grads<Tr, kDropout>(dpt, st, dpsums, keep, keep_scale);
    acc_to_a<BM, T>(dpt, dsa);
    // dS^T into its buffer once both warpgroups' dQ GEMMs of kDsBufs steps ago have read it; published to both
    // warpgroups' next dQ GEMM by the buffer's full barrier.
    {
      const auto ds = ds_buffer<Tr>(i);
      ptx::mbar_wait(sm.ds_empty(ds.stage), ds.phase ^ 1u);
      store_ds<Tr>(sm.ds(ds.stage), dsa, lrow0, t);
      ptx::fence_proxy_async_smem();  // dS^T is read by wgmma (the async proxy)
      ptx::mbar_arrive(sm.ds_full(ds.stage));
    }

    ptx::fence_regs(dk);
    pin_frags(dsa);
    ptx::wgmma_fence();
    gemm_keys_dims<Tr, T>(dk, dsa, sm.q(s));
    ptx::wgmma_commit();

    // Once dV and dK are done with Q and dO, the stage goes back; with dropout, the next step's keep masks are
    // drawn (into the other buffer: this step's may still be gathered by a slower thread) while the dQ GEMM
    // runs, when P^T and dS^T registers are free.
    auto after_dv_dk = [&] {
      ptx::fence_regs(dk);
      ptx::fence_regs(dv);
      pin_frags(pa);
      pin_frags(dsa);
      ptx::mbar_arrive(sm.empty_q(s));
      ptx::mbar_arrive(sm.empty_do(s));
      if constexpr (kDropout) {
        if (i + 1 < steps) draw_keep_masks<Tr, kCausal, kBlockMask>(sm.mask(cw, i + 1), p, cw, i + 1);
      }
    };
    // dQ of the previous step: its dS^T of the other warpgroup, half a step behind, is long written.
    if (first) {
      ptx::wgmma_wait<0>();
      after_dv_dk();
    } else {
      dq_step_of<Tr, T>(sm, ds_buffer<Tr>(i - 1), cw, lrow, t, dq_empty_parity, after_dv_dk);
      dq_empty_parity ^= 1u;
    }
    if constexpr (kDropout) ptx::named_bar_sync(kBarDqStage + cw, 128);  // the next step's masks are drawn
    pos.advance();
  }
  if (any_step) dq_step_of<Tr, T>(sm, ds_buffer<Tr>(steps - 1), cw, lrow, t, dq_empty_parity, [] {});  // its dQ
  // Both warpgroups are done with K (dQ's GEMM reads all of its rows) and V: their tiles stage dK and dV.
  ptx::named_bar_sync(kBarBothDone, 256);
  store_dk_dv<Tr, T>(sm, maps, dk, dv, w, cw, lrow0, t, leader, p.scale);
  if (leader) ptx::tma_store_wait_all();
#endif
}

}  // namespace fa::flash3
