#pragma once
// flash3 forward kernel body: FlashAttention-3's design (Shah et al. 2024) in our own code, for sm_90a.
//
// Persistent CTAs walk a static list of (query tile, head, batch) tiles. Per CTA:
//   producer warpgroup  one thread issues TMA loads: Q of the tile, then K and V of each key block into a
//                       ring of shared-memory stages, each guarded by a "full" mbarrier (bytes landed) and an
//                       "empty" one (both consumer warpgroups done with it);
//   2 consumer warpgroups, 64 query rows each:
//     S = Q K^T         wgmma, both operands from shared memory (K-major);
//     online softmax    fp32, exp2, in the accumulator registers (a row lives in one quad of one warp);
//     O += P V          wgmma with P from registers (the fp32 S accumulators re-packed to 16 bits are the
//                       A-operand layout) and V from shared memory (MN-major).
// Intra-warpgroup overlap: the S GEMM of block j and the P V GEMM of block j-1 are issued together, so that the
// softmax of block j could run while P V(j-1) is still on the tensor cores. In the SASS (nvcc 13.0) ptxas places the
// P V wait right after the S wait, before the exponentials, in every instance: only the row maxima overlap P V.
// fp8 D = 128 therefore drops the overlap (Fwd3Traits::kSerialGemms): each block's S GEMM, softmax and P V GEMM in
// turn, 256 keys per block, each P V GEMM and the next block's S GEMM back to back on the tensor core, and the two
// warpgroups take turns at their exponentials (ExpTurns); non-causal, half of each block's P V GEMM and half of the
// next S GEMM run under the second half of its exponentials (kMidTurn).
// Ping-pong (16-bit D <= 128): the two consumer warpgroups take turns issuing their GEMMs (named barriers), so one
// warpgroup's softmax runs under the other's GEMMs. Per head dim and dtype the traits switch on conditional
// rescaling of O and row sums on the tensor core, each where it measured faster
// (flash3_fwd_traits.cuh; docs/perf/flash3-fwd-notes.md).
// Key blocks are visited from the last to the first, so the blocks that need masks (the ragged end, the
// causal diagonal) come first and the rest run mask-free. The block-mask instances (kBlockMask, for block_sparse)
// walk instead, producer and consumers alike, the host-built list of the tile's kept key blocks (kv_entry):
// dropped ones are never loaded nor multiplied; the dense instances read no list. O is normalised, staged in the
// warpgroup's own (now dead) half of the Q tile and written by a TMA store, which also clips the rows past the end.
//
// fp8 (T = __nv_fp8_e4m3; flash3_fwd_traits.cuh): the same kernel with e4m3 k32 wgmmas. The P V GEMM reads V^T:
// at D = 128 loaded by TMA from a V^T written by the kernel ahead (flash3_vt_transpose.cu; this one is launched
// programmatically dependent on it and its producer waits for it before the first V^T load), elsewhere transposed
// from each V tile by the producer warpgroup's warps 1..3 (flash3_v_transpose.cuh). P is rounded to e4m3 in
// registers (acc_to_a_fp8) scaled by 2^8; the descales of Q and K fold into the softmax scale and V's into
// the final normalisation; O is bf16, stored from registers.
#include <cuda.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

#include <cstdint>
#include <type_traits>

#include "core/dropout_pairs.cuh"
#include "core/pack_half2.cuh"
#include "core/philox.hpp"
#include "kernels/flash3/flash3_fwd_traits.cuh"
#include "kernels/flash3/flash3_params.hpp"
#include "kernels/flash3/flash3_gemm.cuh"
#include "kernels/flash3/flash3_tile_ops.cuh"
#include "kernels/flash3/flash3_v_transpose.cuh"
#include "kernels/flash3/hopper_ptx.cuh"
#include "kernels/flash3/wgmma_ops.cuh"

namespace fa::flash3 {

namespace fwd3 {

// Named barrier ids: 1 + w is "consumer warpgroup w may issue its GEMMs" (ping-pong); 4 + w gathers
// warpgroup w alone around its O store; 7 gathers the fp8 V transposers.
constexpr int kBarSched = 1;
constexpr int kBarEpilogue = 4;
constexpr int kBarTranspose = 7;

// The element type of O: bf16 for e4m3 inputs, else the inputs' own.
template <class T>
using OutT = std::conditional_t<std::is_same_v<T, __nv_fp8_e4m3>, __nv_bfloat16, T>;

struct Tile {
  int m, h, b;
};

// Tiles are numbered query-tile fastest, then head, then batch, so the CTAs running at one time share
// the K/V of few heads in L2. Under causal masking the last query tiles of a head are the longest: they go
// first, in rounds of fwd_causal_round_tiles tiles of every head (flash3_tiles.hpp says why).
template <bool kCausal>
__device__ __forceinline__ Tile decode_tile(long long t, int num_m, const Flash3Params& p) {
  if constexpr (kCausal) {  // t < 2^31 (plan_fwd)
    const CausalSlot s = causal_slot(static_cast<unsigned>(t), num_m, static_cast<unsigned>(p.heads) * p.batch,
                                     fwd_causal_round_tiles(num_m));
    const int bh = static_cast<int>(s.head);
    return {num_m - 1 - static_cast<int>(s.rank), bh % p.heads, bh / p.heads};
  }
  const int mi = static_cast<int>(t % num_m);
  const long long bh = t / num_m;
  return {mi, static_cast<int>(bh % p.heads), static_cast<int>(bh / p.heads)};
}

// Number of key blocks a query tile sees (blocks 0 .. n-1); 0 when every row is fully masked.
template <class Tr, bool kCausal>
__device__ __forceinline__ int kv_blocks(int m, const Flash3Params& p) {
  int end = p.seqlen_kv;
  if constexpr (kCausal) end = min(end, min(p.seqlen_q, (m + 1) * Tr::BM) + p.seqlen_kv - p.seqlen_q);
  return end <= 0 ? 0 : (end + Tr::BN - 1) / Tr::BN;
}

// The key blocks a query tile visits, walked from the last entry to the first. Dense (kBlockMask false): blocks
// 0 .. count - 1, and no list is read. With a block mask: the kept ones within the causal range, listed by the host
// (flash3_block_lists.hpp) per (mask head, query tile), entries as Flash3Params::mask_kv_blocks: bit w says
// whether consumer warpgroup w's 64 rows keep the block (a 192-row tile at D = 64 spans two 128-row mask rows).
// The consumers read an entry only where they use it, and its list's start again each time (two L1 hits): their
// main loop has no register to spare for holding either. The producer holds one index and stops at the entry
// marked last (kKvEntryLast): at D = 64 it has 32 registers. A tile whose blocks the mask drops for every
// warpgroup lists one such block (all of its S masked: O = 0, lse = -inf).
__device__ __forceinline__ long long kv_list_row(const Tile& tile, int num_m, const Flash3Params& p) {
  return static_cast<long long>(p.mask_heads == 1 ? 0 : tile.h) * num_m + tile.m;
}

template <class Tr, bool kCausal, bool kBlockMask>
__device__ __forceinline__ int kv_count(const Tile& tile, int num_m, const Flash3Params& p) {
  if constexpr (kBlockMask) {
    const int* off = p.mask_kv_offsets + kv_list_row(tile, num_m, p);
    return __ldg(off + 1) - __ldg(off);
  } else {
    return kv_blocks<Tr, kCausal>(tile.m, p);
  }
}

// Entry i of a tile's list, and the index of its last entry (where the walk starts).
__device__ __forceinline__ int kv_entry(int i, const Tile& tile, int num_m, const Flash3Params& p) {
  return __ldg(p.mask_kv_blocks + __ldg(p.mask_kv_offsets + kv_list_row(tile, num_m, p)) + i);
}

__device__ __forceinline__ int kv_last_entry(const Tile& tile, int num_m, const Flash3Params& p) {
  return __ldg(p.mask_kv_offsets + kv_list_row(tile, num_m, p) + 1) - 1;
}

// ---------------------------------------------------------------------------------------------
// The two GEMMs of one key block, as wgmma batches (the caller fences, commits and waits).
// ---------------------------------------------------------------------------------------------
template <class Tr, class T>
__device__ __forceinline__ void gemm_qk(float (&s)[Tr::BN / 2], std::uint32_t q_base, std::uint32_t k_base) {
  gemm_ss_kmajor<Tr::BN, T, Tr::D, Tr::kSwz, DescSteps::kRebuild>(s, q_base, Tr::kQRegionBytes, k_base,
                                                                  Tr::kKVRegionBytes);
}

// S of keys 128 h .. 128 h + 127 of the block into s[64 h .. 64 h + 63] (the accumulator's columns 0..127 are its
// first 64 elements per thread): K's rows 128 h .. are 128 h swizzled rows further on.
// kFresh: s's old values in that half are dead to the compiler once the GEMM is issued (gemm_ss_kmajor).
template <class Tr, class T, int h, bool kFresh = false>
__device__ __forceinline__ void gemm_qk_half(float (&s)[Tr::BN / 2], std::uint32_t q_base, std::uint32_t k_base) {
  static_assert(Tr::BN == 256 && Tr::kRegions == 1, "halves of a 256-key block, one K region");
  float (&half)[64] = *reinterpret_cast<float(*)[64]>(s + 64 * h);
  gemm_ss_kmajor<128, T, Tr::D, Tr::kSwz, DescSteps::kRebuild, kFresh>(
      half, q_base, Tr::kQRegionBytes, k_base + 128 * h * Tr::kSwzBytes, Tr::kKVRegionBytes);
}

// fp8: P V of keys 128 h .. 128 h + 127 of the block (P's fragments 4 h .. 4 h + 3, V^T's region h).
template <class Tr, int h>
__device__ __forceinline__ void gemm_pv_half(float (&o)[Tr::D / 2], const std::uint32_t (&pr)[Tr::kPFrags][4],
                                             std::uint32_t v_base) {
  static_assert(Tr::kFp8 && Tr::BN == 256, "halves of a 256-key fp8 block");
  using Half = const std::uint32_t(&)[4][4];
  gemm_rs_kmajor_e4m3<Tr::D, 128>(o, reinterpret_cast<Half>(pr[4 * h][0]), v_base + h * Tr::kVtRegionBytes,
                                  Tr::kVtRegionBytes);
}

// V is [BN keys x D] row-major: MN-major for this GEMM (N = D). fp8: v_base is the V^T stage, K-major.
template <class Tr, class T>
__device__ __forceinline__ void gemm_pv(float (&o)[Tr::D / 2], const std::uint32_t (&pr)[Tr::kPFrags][4],
                                        std::uint32_t v_base) {
  if constexpr (Tr::kFp8) {
    gemm_rs_kmajor_e4m3<Tr::D, Tr::BN>(o, pr, v_base, Tr::kVtRegionBytes);
  } else {
    gemm_rs_mnmajor<Tr::D, T, Tr::BN, Tr::kSwz, DescSteps::kRebuild>(o, pr, v_base, Tr::kKVRegionBytes);
  }
}

// fp8: keys 128 h .. 128 h + 127 of P (s[64 h .. 64 h + 63]) into P's fragments 4 h .. 4 h + 3.
template <int h>
__device__ __forceinline__ void p_half_to_a_fp8(const float (&s)[128], std::uint32_t (&pr)[8][4]) {
  acc_to_a_fp8<128>(*reinterpret_cast<const float(*)[64]>(s + 64 * h),
                    *reinterpret_cast<std::uint32_t(*)[4][4]>(pr[4 * h]));
}

// rs[64 x 8] += P ones (kTensorRowSum): every column of rs is P's row sums. B is K-major and unswizzled: an n8
// k step reads two 8 x 16-byte core matrices, the second LBO = 128 bytes further along K (SBO, the step between
// 8-column groups, is not used at N = 8). Those 256 bytes are the ones tile, all ones, read again for every k step.
template <class Tr, class T>
__device__ __forceinline__ void gemm_row_sums(float (&rs)[4], const std::uint32_t (&pr)[Tr::kPFrags][4],
                                              std::uint32_t ones) {
  const std::uint64_t desc = ptx::smem_desc(ones, 128, 256, 0u);
#pragma unroll
  for (int kk = 0; kk < Tr::kPFrags; ++kk) wgmma::wgmma_rs<8, T, 0>(rs, pr[kk], desc, 1);
}

// The ones tile, written once per CTA before the roles split (then a proxy fence: wgmma reads it through the
// async proxy): 1.0 in T, as 32-bit words.
template <class T>
constexpr std::uint32_t ones_word() {
  if constexpr (std::is_same_v<T, __nv_fp8_e4m3>) return 0x38383838u;
  else if constexpr (std::is_same_v<T, __nv_bfloat16>) return 0x3F803F80u;
  else return 0x3C003C00u;
}

// P of one block into A-operand registers: 16-bit pairs, or e4m3 in the permuted key order.
template <class Tr, class T>
__device__ __forceinline__ void p_to_a(const float (&s)[Tr::BN / 2], std::uint32_t (&pr)[Tr::kPFrags][4]) {
  if constexpr (Tr::kFp8) {
    acc_to_a_fp8<Tr::BN>(s, pr);
  } else {
    acc_to_a<Tr::BN, T>(s, pr);
  }
}

// ---------------------------------------------------------------------------------------------
// Softmax pieces on one thread's accumulator fragment. Element j of a m64nN fp32 fragment is row
// r0 + 8 * ((j / 2) % 2), column 8 * (j / 4) + 2 * t + (j % 2), with r0 = 16 * warp + lane / 4, t = lane % 4.
// ---------------------------------------------------------------------------------------------
// kBlockMask: `drop` says the block mask drops the whole block for these rows (a separate test in the dense
// instances would change their code).
template <int N, bool kCausal, bool kBlockMask = false>
__device__ __forceinline__ void mask_block(float (&s)[N / 2], int col0, int row0, int t, int nk, int diag,
                                           bool drop = false) {
#pragma unroll
  for (int j = 0; j < N / 2; ++j) {
    const int col = col0 + 8 * (j / 4) + 2 * t + (j % 2);
    const int row = row0 + 8 * ((j / 2) % 2);
    if constexpr (kBlockMask) {
      if (drop || col >= nk || (kCausal && col > row + diag)) s[j] = kNegInf;
    } else {
      if (col >= nk || (kCausal && col > row + diag)) s[j] = kNegInf;
    }
  }
}

// Element e (0 .. N / 4 - 1) of row r (0: row0, 1: row0 + 8) in a thread's fragment.
template <int N>
__device__ __forceinline__ constexpr int row_elem(int r, int e) {
  return 4 * (e / 2) + 2 * r + e % 2;
}

// Maximum of row r's N / 4 elements and `init`, over kChains independent chains joined by a tree.
template <int N, int kChains>
__device__ __forceinline__ float row_max_of(const float (&s)[N / 2], int r, float init) {
  static_assert((N / 4) % kChains == 0, "whole chains");
  float part[kChains];
#pragma unroll
  for (int c = 0; c < kChains; ++c) part[c] = s[row_elem<N>(r, c)];
#pragma unroll
  for (int e = kChains; e < N / 4; ++e) part[e % kChains] = fmaxf(part[e % kChains], s[row_elem<N>(r, e)]);
#pragma unroll
  for (int w = kChains / 2; w >= 1; w /= 2) {
#pragma unroll
    for (int c = 0; c < w; ++c) part[c] = fmaxf(part[c], part[c + w]);
  }
  return fmaxf(part[0], init);
}

// The consumer warpgroups' turns at the exponentials (kOn: Fwd3Traits::kExpTurns): warpgroup cw waits for its turn
// (named barrier kBarSched + cw), computes its exponentials and hands the turn on, so that one warpgroup's
// exponentials have the sub-partitions' MUFU units to themselves while the other's GEMMs run. ptxas moves barriers
// freely across register-only code, so each end is tied to the exponentials by a data dependency: the sync is
// followed by a shared-memory load of 0.0f that every exponential's argument adds, and the arrive is predicated on
// the row sums, which are never negative (it always happens) but exist only after the last exponential. (The SASS
// still has the sync moved up to before the row maxima: the turn covers the maxima and the exponentials.)
template <bool kOn_>
struct ExpTurns {
  static constexpr bool kOn = kOn_;
  std::uint32_t zero_addr = 0;
  int own = 0, next = 0;
  __device__ float before() const {
    if constexpr (kOn) {
      ptx::named_bar_sync(own, 256);
      return __uint_as_float(ld_shared_u32(zero_addr));
    } else {
      return 0.f;
    }
  }
  __device__ void after(float sums) const {
    if constexpr (kOn) {
      if (!(sums < 0.f)) ptx::named_bar_arrive(next, 256);
    }
  }
};

// The pieces of online_softmax (below), which the fp8 D = 128 mid-turn loop also calls apart.
// The new row maxima (max_slack as online_softmax says), the corrections, and the exponents' offsets: P = exp2(s *
// scale_log2 + neg). Returns whether one of the two row maxima moved.
template <int N, int kChains>
__device__ __forceinline__ bool softmax_maxima(const float (&s)[N / 2], float (&row_max)[2], float (&corr)[2],
                                               float (&neg)[2], float scale_log2, float p_offset, float max_slack) {
  float mx[2] = {row_max[0], row_max[1]};
  if constexpr (kChains == 1) {
#pragma unroll
    for (int j = 0; j < N / 2; ++j) mx[(j / 2) % 2] = fmaxf(mx[(j / 2) % 2], s[j]);
  } else {
#pragma unroll
    for (int r = 0; r < 2; ++r) mx[r] = row_max_of<N, kChains>(s, r, row_max[r]);
  }
  bool moved = false;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    mx[r] = ptx::quad_max(mx[r]);
    // Not (mx - old) * scale <= slack: with old = -inf that is +inf and moves the max; with both -inf, NaN keeps it.
    if (!((mx[r] - row_max[r]) * scale_log2 > max_slack)) mx[r] = row_max[r];
    const float m_use = mx[r] == kNegInf ? 0.f : mx[r];
    corr[r] = ptx::exp2_approx((row_max[r] - m_use) * scale_log2);
    moved = moved || mx[r] != row_max[r];
    row_max[r] = mx[r];
    neg[r] = p_offset - m_use * scale_log2;
  }
  return moved;
}

// Elements J0 .. J1 - 1 of the fragment exponentiated in place, their row sums (kSums) added to `sum`'s chains.
template <int N, int J0, int J1, bool kSums, int kChains>
__device__ __forceinline__ void softmax_exps(float (&s)[N / 2], const float (&neg)[2], float scale_log2,
                                             float (&sum)[2][kChains]) {
#pragma unroll
  for (int j = J0; j < J1; ++j) {
    s[j] = ptx::exp2_approx(fmaf(s[j], scale_log2, neg[(j / 2) % 2]));
    if constexpr (kSums) sum[(j / 2) % 2][(j / 4) % kChains] += s[j];
  }
}

// Each thread keeps its partial row sums (the chains joined); the quad's partials are added once at the end.
template <int kChains>
__device__ __forceinline__ void softmax_fold_sums(float (&sum)[2][kChains], float (&row_sum)[2],
                                                  const float (&corr)[2]) {
#pragma unroll
  for (int r = 0; r < 2; ++r) {
#pragma unroll
    for (int w = kChains / 2; w >= 1; w /= 2) {
#pragma unroll
      for (int c = 0; c < w; ++c) sum[r][c] += sum[r][c + w];
    }
    row_sum[r] = row_sum[r] * corr[r] + sum[r][0];
  }
}

// Online softmax update of block j: new row maxima, exp2 of the scaled logits in place, row sums; returns
// the factor by which O (accumulated against the old maxima) must be rescaled. A row with nothing visible
// yet keeps max = -inf and is exponentiated against 0, so exp2(-inf) = 0 and no inf - inf appears.
// p_offset: P comes out scaled by 2^p_offset (fp8, flash3_fwd_traits.cuh kPOffset), the row sums with it.
// max_slack (FlashAttention-4's conditional rescaling): the running max moves only when the block's max exceeds
// it by more than max_slack in log2 units, so P may reach 2^max_slack, and corr is then exactly 1 in most blocks,
// where the caller skips rescaling O. Exact either way: O, the row sums and lse all refer to the same max.
// kSums false: the row sums come from the tensor core (gemm_row_sums); row_sum is left alone.
// Returns whether one of the two row maxima moved, i.e. whether O needs the corrections at all (a row still at
// -inf has nothing in O to correct).
// kChains > 1: the row maxima and sums as kChains independent chains each, joined by a tree (row_max_of).
// turns: ExpTurns<true> brackets the exponentials with the warpgroups' turns.
template <int N, bool kSums = true, int kChains = 1, class Turns = ExpTurns<false>>
__device__ __forceinline__ bool online_softmax(float (&s)[N / 2], float (&row_max)[2], float (&row_sum)[2],
                                               float (&corr)[2], float scale_log2, float p_offset, float max_slack,
                                               const Turns& turns = Turns{}) {
  float neg[2];
  const bool moved = softmax_maxima<N, kChains>(s, row_max, corr, neg, scale_log2, p_offset, max_slack);
  float sum[2][kChains] = {};
  if constexpr (Turns::kOn) {
    const float z = turns.before();  // 0.0f, read once this warpgroup's turn has come
    neg[0] += z;
    neg[1] += z;
  }
  softmax_exps<N, 0, N / 2, kSums>(s, neg, scale_log2, sum);
  if constexpr (kSums) softmax_fold_sums(sum, row_sum, corr);
  turns.after(row_sum[0] + row_sum[1]);
  return moved;
}

// Dropout with the shared keep-mask (core/philox.hpp), in two steps. dropout_flags draws this thread's keep flags
// for key block col0: one Philox call per 32-column group gives its 16 elements (rows row0 and row0 + 8, column
// pairs 2t, 2t + 1 of each 8-column block), i.e. the two k16 fragments 2G and 2G + 1, compared byte-wise (SWAR)
// against the threshold. It needs nothing of S, so the kernel draws before the softmax, where the integer work
// fills the issue slots that the exponentials (MUFU, a quarter of the issue rate) leave free. `row` holds the
// calls' column-independent part, computed once per tile (DropoutRow). Against session 15's kernel (whole calls in
// the old counter order, drawn before the softmax at D 64 only, after the pack elsewhere) this measured on an H200
// (docs/perf/2026-12-01-session16.md): D 64 -4 to -6 %, D 128 -2 to -4 %, D 256 even non-causal and -6 % causal;
// each of the two alone was slower somewhere (D 128 +1.5 to +7.5 %).
// apply_dropout then zeroes the dropped elements of P once it is packed into A-operand registers (one PRMT + AND
// per pair, core/dropout_pairs.cuh): after the row sums, so lse and the normaliser stay those of the undropped
// softmax, and 1 / (1 - p) is folded into the final scale.
template <int N>
__device__ __forceinline__ void dropout_flags(Philox4 (&keep)[N / 32], const DropoutRow& row, std::uint32_t t8,
                                              int col0, int t) {
#pragma unroll
  for (int g = 0; g < N / 32; ++g)
    keep[g] = dropout_keep_flags(row.random(static_cast<std::uint32_t>(((col0 >> 5) + g) * 4 + t)), t8);
}

template <int N>
__device__ __forceinline__ void apply_dropout(std::uint32_t (&pr)[N / 16][4], const Philox4 (&keep)[N / 32]) {
#pragma unroll
  for (int g = 0; g < N / 32; ++g) {
    drop_packed_fragment(pr[2 * g], keep[g], 0);
    drop_packed_fragment(pr[2 * g + 1], keep[g], 1);
  }
}

// Pins O and P before a wgmma fence: otherwise the compiler may sink their last writes (the rescale, the
// packing) past the fence, and ptxas then adds a warpgroup-wide arrive of its own (warning C7519).
template <class Tr>
__device__ __forceinline__ void pin_o_and_p(float (&o)[Tr::D / 2], std::uint32_t (&pr)[Tr::kPFrags][4]) {
  ptx::fence_regs(o);
#pragma unroll
  for (int kk = 0; kk < Tr::kPFrags; ++kk) ptx::fence_regs(pr[kk]);
}

// Shared-memory addresses of the pipeline: a tile of Q, kStages K and V buffers, O (its own buffer or Q's),
// the two tile-index slots of the dynamic scheduler and the mbarriers.
template <class Tr>
struct Smem {
  std::uint32_t base;
  __device__ std::uint32_t q() const { return base + Tr::kOffQ; }
  __device__ std::uint32_t k(int s) const { return base + Tr::kOffK + s * Tr::kKVBytes; }
  __device__ std::uint32_t v(int s) const { return base + Tr::kOffV + s * Tr::kVStageBytes; }
  __device__ std::uint32_t o() const { return Tr::kSeparateO ? base + Tr::kOffO : q(); }
  __device__ std::uint32_t ones() const { return base + Tr::kOffOnes; }
  __device__ std::uint32_t zero() const { return base + Tr::kOffZero; }
  __device__ std::uint32_t tile_slot(int i) const { return base + Tr::kOffMisc + 8 * i; }
  __device__ std::uint32_t bar(int i) const { return base + Tr::kOffMisc + 16 + 8 * i; }
  __device__ std::uint32_t tile_full(int i) const { return bar(i); }
  __device__ std::uint32_t tile_empty(int i) const { return bar(2 + i); }
  __device__ std::uint32_t full_q() const { return bar(4); }
  __device__ std::uint32_t empty_q() const { return bar(5); }
  __device__ std::uint32_t full_k(int s) const { return bar(6 + s); }
  __device__ std::uint32_t empty_k(int s) const { return bar(6 + Tr::kStages + s); }
  __device__ std::uint32_t full_v(int s) const { return bar(6 + 2 * Tr::kStages + s); }
  __device__ std::uint32_t empty_v(int s) const { return bar(6 + 3 * Tr::kStages + s); }
  // Where TMA puts V: the consumers' V stage (V, or fp8 V^T from global memory), or the raw stage the transposers
  // read.
  static constexpr bool kRaw = Tr::kTransposers > 0;
  __device__ std::uint32_t v_tma(int s) const { return kRaw ? base + Tr::kOffVraw + s * Tr::kKVBytes : v(s); }
  __device__ std::uint32_t full_v_tma(int s) const { return kRaw ? bar(6 + 4 * Tr::kStages + s) : full_v(s); }
  __device__ std::uint32_t empty_v_tma(int s) const { return kRaw ? bar(6 + 5 * Tr::kStages + s) : empty_v(s); }
};

__device__ __forceinline__ void st_shared_u64(std::uint32_t addr, long long v) {
  asm volatile("st.shared.b64 [%0], %1;\n" ::"r"(addr), "l"(v) : "memory");
}
__device__ __forceinline__ long long ld_shared_u64(std::uint32_t addr) {
  long long v;
  asm volatile("ld.shared.b64 %0, [%1];\n" : "=l"(v) : "r"(addr) : "memory");
  return v;
}

// ---------------------------------------------------------------------------------------------
// Tile order. Static (kDynamic false): CTA i takes tiles i, i + grid, ... (equal tiles: balanced).
// Dynamic (causal, where tiles differ in length): after its first tile a CTA takes the next unclaimed one
// from a global counter (zeroed before the launch), so the long tiles, numbered first within a head, are
// spread over the CTAs and the short ones fill the gaps at the end. The producer claims tiles and hands
// them to the consumers through two shared-memory slots guarded by mbarriers; a tile index past the end
// tells everyone to stop.
// ---------------------------------------------------------------------------------------------
template <class Tr, bool kDynamic>
struct TileFeed {
  const Smem<Tr>& sm;
  long long tiles;
  int* counter;
  RingPos<2> slot;

  // Producer: publish tile t to the consumers (dynamic only) and claim the one after it.
  __device__ long long publish_and_claim(long long t) {
    if constexpr (kDynamic) {
      ptx::mbar_wait(sm.tile_empty(slot.stage), slot.phase ^ 1u);
      st_shared_u64(sm.tile_slot(slot.stage), t);
      ptx::mbar_arrive(sm.tile_full(slot.stage));
      slot.advance();
      return t < tiles ? gridDim.x + static_cast<long long>(atomicAdd(counter, 1)) : t;
    } else {
      return t + gridDim.x;
    }
  }
  // Consumer: the tile to work on after tile t.
  __device__ long long next(long long t) {
    if constexpr (kDynamic) {
      ptx::mbar_wait(sm.tile_full(slot.stage), slot.phase);
      const long long n = ld_shared_u64(sm.tile_slot(slot.stage));
      ptx::mbar_arrive(sm.tile_empty(slot.stage));
      slot.advance();
      return n;
    } else {
      return t + gridDim.x;
    }
  }
  __device__ long long first() { return kDynamic ? next(-1) : static_cast<long long>(blockIdx.x); }
};

// ---------------------------------------------------------------------------------------------
// Producer: one thread. Q of each tile once the consumers released the previous one, then K and V of each
// key block (last to first) as stages free up, from the K/V head of the tile's query head.
// ---------------------------------------------------------------------------------------------
template <class Tr, bool kCausal, bool kBlockMask>
__device__ void produce(const Smem<Tr>& sm, const CUtensorMap* tm_q, const CUtensorMap* tm_k, const CUtensorMap* tm_v,
                        const Flash3Params& p) {
  const int num_m = (p.seqlen_q + Tr::BM - 1) / Tr::BM;
  TileFeed<Tr, kCausal> feed{sm, static_cast<long long>(num_m) * p.heads * p.batch, p.tile_counter, {}};
  RingPos<Tr::kStages> kv;
  std::uint32_t q_phase = 0;
  bool vt_ready = !Tr::kVtGlobal;  // V^T is written by the kernel ahead (launched programmatically dependent)
  for (long long t = blockIdx.x;;) {
    const long long next = feed.publish_and_claim(t);
    if (t >= feed.tiles) break;
    const Tile tile = decode_tile<kCausal>(t, num_m, p);
    // A block mask's list is empty exactly when this count is 0 (flash3_block_lists.cpp): the list's own count
    // costs the producer at D 64 a spill.
    const int n_blocks = kv_blocks<Tr, kCausal>(tile.m, p);
    t = next;
    if (n_blocks == 0) continue;
    ptx::mbar_wait(sm.empty_q(), q_phase ^ 1u);
    q_phase ^= 1u;
    ptx::mbar_arrive_expect_tx(sm.full_q(), Tr::kQBytes);
#pragma unroll
    for (int r = 0; r < Tr::kRegions; ++r)
      ptx::tma_load_4d(sm.q() + r * Tr::kQRegionBytes, tm_q, sm.full_q(), r * Tr::kSwz, tile.m * Tr::BM, tile.h, tile.b);
    const int hk = tile.h / p.kv_group;  // the K/V head this query head reads (grouped-query attention)
    auto load_kv = [&](int n) {
      ptx::mbar_wait(sm.empty_k(kv.stage), kv.phase ^ 1u);
      ptx::mbar_arrive_expect_tx(sm.full_k(kv.stage), Tr::kKVBytes);
#pragma unroll
      for (int r = 0; r < Tr::kRegions; ++r)
        ptx::tma_load_4d(sm.k(kv.stage) + r * Tr::kKVRegionBytes, tm_k, sm.full_k(kv.stage), r * Tr::kSwz, n * Tr::BN,
                         hk, tile.b);
      ptx::mbar_wait(sm.empty_v_tma(kv.stage), kv.phase ^ 1u);
      if constexpr (Tr::kVtGlobal) {
        if (!vt_ready) {
          ptx::grid_dependency_wait();
          vt_ready = true;
        }
      }
      ptx::mbar_arrive_expect_tx(sm.full_v_tma(kv.stage), Tr::kKVBytes);
      if constexpr (Tr::kVtGlobal) {  // V^T regions of 128 keys: boxes of D rows x 128 keys
#pragma unroll
        for (int r = 0; r < Tr::BN / 128; ++r)
          ptx::tma_load_4d(sm.v(kv.stage) + r * Tr::kVtRegionBytes, tm_v, sm.full_v(kv.stage), n * Tr::BN + 128 * r,
                           0, hk, tile.b);
      } else {
#pragma unroll
        for (int r = 0; r < Tr::kRegions; ++r)
          ptx::tma_load_4d(sm.v_tma(kv.stage) + r * Tr::kKVRegionBytes, tm_v, sm.full_v_tma(kv.stage), r * Tr::kSwz,
                           n * Tr::BN, hk, tile.b);
      }
      kv.advance();
    };
    if constexpr (kBlockMask) {
      for (int j = kv_last_entry(tile, num_m, p);; --j) {
        const int e = __ldg(p.mask_kv_blocks + j);
        load_kv(e >> kKvEntryShift);
        if (e & kKvEntryLast) break;
      }
    } else {
      for (int n = n_blocks - 1; n >= 0; --n) load_kv(n);
    }
  }
}

// fp8 with transposers (kTransposers): producer warps 1..3 (`tid` 0..95) turn each raw V stage into the V^T stage
// the consumers read, in the producer's order (the tiles of the feed, their key blocks last to first); a raw stage
// is handed back to TMA and the V^T stage to the consumers once all transposers have written (and fenced) their part.
template <class Tr, bool kCausal>
__device__ void transpose_v(const Smem<Tr>& sm, const Flash3Params& p, int tid) {
  const int num_m = (p.seqlen_q + Tr::BM - 1) / Tr::BM;
  TileFeed<Tr, kCausal> feed{sm, static_cast<long long>(num_m) * p.heads * p.batch, p.tile_counter, {}};
  RingPos<Tr::kStages> kv;
  for (long long ti = feed.first(); ti < feed.tiles; ti = feed.next(ti)) {
    const int n_blocks = kv_blocks<Tr, kCausal>(decode_tile<kCausal>(ti, num_m, p).m, p);
    for (int n = 0; n < n_blocks; ++n) {
      ptx::mbar_wait(sm.full_v_tma(kv.stage), kv.phase);
      ptx::mbar_wait(sm.empty_v(kv.stage), kv.phase ^ 1u);
      transpose_v_tile<Tr>(sm.v_tma(kv.stage), sm.v(kv.stage), tid, Tr::kTransposers);
      ptx::fence_proxy_async_smem();  // V^T is read by wgmma (the async proxy)
      ptx::named_bar_sync(kBarTranspose, Tr::kTransposers);
      if (tid == 0) {
        ptx::mbar_arrive(sm.empty_v_tma(kv.stage));
        ptx::mbar_arrive(sm.full_v(kv.stage));
      }
      kv.advance();
    }
  }
}

// A tile none of whose rows sees a key: O = 0 and lse = -inf, written directly (no shared memory is
// touched, so this cannot race with the producer's next Q load).
template <class Tr, class T>
__device__ void store_empty_tile(const Flash3Params& p, const Tile& tile, int row0, int t) {
  OutT<T>* o = static_cast<OutT<T>*>(p.o) + tile.b * p.o_stride_b + tile.h * p.o_stride_h;
  float* lse = p.lse + (static_cast<long long>(tile.b) * p.heads + tile.h) * p.seqlen_q;
#pragma unroll
  for (int hh = 0; hh < 2; ++hh) {
    const int row = row0 + 8 * hh;
    if (row >= p.seqlen_q) continue;
    if (t == 0) lse[row] = kNegInf;
#pragma unroll
    for (int c = 0; c < Tr::D / 8; ++c)
      *reinterpret_cast<std::uint32_t*>(o + row * p.o_stride_n + 8 * c + 2 * t) = 0u;
  }
}

// Normalise O, write lse, stage O (swizzled, as the O tensor map's box) and store it with TMA. With its own
// O buffer the warpgroup first waits until its previous store has read that buffer; staged in Q's place,
// it waits for the store to read it and only then hands Q back to the producer.
// fp8: O (bf16) straight from the accumulators, one 4-byte pair per store, rows past the end skipped.
template <class Tr, class TO>
__device__ __forceinline__ void store_o_direct(const Flash3Params& p, const Tile& tile, const float (&o)[Tr::D / 2],
                                               const float (&inv)[2], int row0, int t) {
  TO* out = static_cast<TO*>(p.o) + tile.b * p.o_stride_b + tile.h * p.o_stride_h;
#pragma unroll
  for (int hh = 0; hh < 2; ++hh) {
    const int row = row0 + 8 * hh;
    if (row >= p.seqlen_q) continue;
#pragma unroll
    for (int c = 0; c < Tr::D / 8; ++c)
      *reinterpret_cast<std::uint32_t*>(out + row * p.o_stride_n + 8 * c + 2 * t) =
          pack_half2<TO>(o[4 * c + 2 * hh] * inv[hh], o[4 * c + 2 * hh + 1] * inv[hh]);
  }
}

// kWholeSums: row_sum holds whole rows' sums (kTensorRowSum), not this thread's share of its quad.
template <class Tr, class T, bool kDropout, bool kWholeSums>
__device__ __forceinline__ void epilogue(const Smem<Tr>& sm, const CUtensorMap* tm_o, const Flash3Params& p,
                                         const Tile& tile, float (&o)[Tr::D / 2], const float (&row_max)[2],
                                         const float (&row_sum)[2], int cw, int row0, int lrow0, int t, bool leader) {
  // V's descale (1 unless fp8) and dropout's 1 / (1 - p) scale O; Q's and K's are in the logits' scale.
  const float out_scale = (kDropout ? 1.f / (1.f - p.dropout_p_used) : 1.f) * p.v_descale;
  const float logit_scale = p.scale * p.q_descale * p.k_descale;
  constexpr float kLn2 = 0.69314718f;
  float inv[2];
  float* lse = p.lse + (static_cast<long long>(tile.b) * p.heads + tile.h) * p.seqlen_q;
#pragma unroll
  for (int r = 0; r < 2; ++r) {
    const float l = kWholeSums ? row_sum[r] : ptx::quad_sum(row_sum[r]);
    inv[r] = l > 0.f ? out_scale / l : 0.f;
    const int row = row0 + 8 * r;
    if (t == 0 && row < p.seqlen_q)
      lse[row] = l > 0.f ? row_max[r] * logit_scale + __logf(l) - Tr::kPOffset * kLn2 : kNegInf;
  }
  if constexpr (Tr::kFp8) {
    store_o_direct<Tr, OutT<T>>(p, tile, o, inv, row0, t);
    return;
  }
  if constexpr (Tr::kSeparateO) {
    if (leader) ptx::tma_store_wait_read();
    ptx::named_bar_sync(kBarEpilogue + cw, 128);
  }
#pragma unroll
  for (int j = 0; j < Tr::D / 2; j += 2) {
    const int hh = (j / 2) % 2;
    st_shared_u32(sm.o() + swizzled_offset<Tr::kSwz>(lrow0 + 8 * hh, 8 * (j / 4) + 2 * t, Tr::kQRegionBytes),
                  pack_half2<T>(o[j] * inv[hh], o[j + 1] * inv[hh]));
  }
  ptx::fence_proxy_async_smem();
  ptx::named_bar_sync(kBarEpilogue + cw, 128);
  if (leader) {
    const std::uint32_t src = sm.o() + cw * 64 * Tr::kSwzBytes;
#pragma unroll
    for (int r = 0; r < Tr::kRegions; ++r)
      ptx::tma_store_4d(tm_o, src + r * Tr::kQRegionBytes, r * Tr::kSwz, tile.m * Tr::BM + cw * 64, tile.h, tile.b);
    ptx::tma_store_commit();
    if constexpr (!Tr::kSeparateO) {
      ptx::tma_store_wait_read();
      ptx::mbar_arrive(sm.empty_q());
    }
  }
}

}  // namespace fwd3

// kBlockMask: walk the block mask's lists (Flash3Params::mask_kv_*); false: the dense loops, which read no list.
template <class Tr, class T, bool kCausal, bool kDropout, bool kBlockMask>
__global__ void __launch_bounds__(Tr::kThreads, 1)
    flash3_fwd_kernel(const __grid_constant__ CUtensorMap tm_q, const __grid_constant__ CUtensorMap tm_k,
                      const __grid_constant__ CUtensorMap tm_v, const __grid_constant__ CUtensorMap tm_o,
                      const Flash3Params p) {
#if defined(__CUDA_ARCH__) && defined(__CUDA_ARCH_FEAT_SM90_ALL)
  using namespace fwd3;
  constexpr int BM = Tr::BM, BN = Tr::BN, D = Tr::D, kWGs = Tr::kConsumerWGs;
  extern __shared__ unsigned char smem_raw[];
  const Smem<Tr> sm{(ptx::smem_u32(smem_raw) + 1023u) & ~1023u};

  if (threadIdx.x == 0) {
    ptx::prefetch_tmap(&tm_q);
    ptx::prefetch_tmap(&tm_k);
    ptx::prefetch_tmap(&tm_v);
    ptx::prefetch_tmap(&tm_o);
    for (int i = 0; i < 2; ++i) {
      ptx::mbar_init(sm.tile_full(i), 1);
      ptx::mbar_init(sm.tile_empty(i), 128 * kWGs + Tr::kTransposers);
    }
    ptx::mbar_init(sm.full_q(), 1);
    ptx::mbar_init(sm.empty_q(), kWGs);
    for (int s = 0; s < Tr::kStages; ++s) {
      ptx::mbar_init(sm.full_k(s), 1);
      ptx::mbar_init(sm.empty_k(s), kWGs);
      ptx::mbar_init(sm.full_v(s), 1);
      ptx::mbar_init(sm.empty_v(s), kWGs);
      if constexpr (Tr::kTransposers > 0) {
        ptx::mbar_init(sm.full_v_tma(s), 1);
        ptx::mbar_init(sm.empty_v_tma(s), 1);
      }
    }
    ptx::fence_mbar_init();
  }
  if (Tr::kSerialGemms && threadIdx.x == 0) st_shared_u32(sm.zero(), 0u);  // ExpTurns' 0.0f
  constexpr bool kRowSumGemm = Tr::kTensorRowSum && !kDropout;  // the normaliser with dropout is the undropped sum
  if constexpr (kRowSumGemm) {
    if (threadIdx.x >= 128 && threadIdx.x < 128 + Tr::kOnesBytes / 4) {
      st_shared_u32(sm.ones() + 4 * (threadIdx.x - 128), ones_word<T>());
      ptx::fence_proxy_async_smem();
    }
  }
  __syncthreads();

  const int wg = threadIdx.x / 128;
  if (wg == 0) {
    ptx::regs_dealloc<Tr::kProducerRegs[kCausal]>();
    if (threadIdx.x == 0) produce<Tr, kCausal, kBlockMask>(sm, &tm_q, &tm_k, &tm_v, p);
    if constexpr (Tr::kTransposers > 0) {
      if (threadIdx.x >= 32) transpose_v<Tr, kCausal>(sm, p, threadIdx.x - 32);
    }
    return;
  }
  ptx::regs_alloc<Tr::kConsumerRegs[kCausal]>();

  // ---- consumer warpgroup cw: query rows [64 cw, 64 cw + 64) of each tile ----
  // Broadcast from lane 0 where that measured faster (Fwd3Traits::kUniformIndex), as the backward does.
  const int cw = Tr::kUniformIndex ? __shfl_sync(0xFFFFFFFFu, wg - 1, 0) : wg - 1;
  const int tid = threadIdx.x % 128, warp = tid / 32, lane = tid % 32, t = lane % 4;
  const bool leader = tid == 0;
  const int num_m = (p.seqlen_q + BM - 1) / BM;
  const int diag = p.seqlen_kv - p.seqlen_q;
  const float scale_log2 = p.scale * p.q_descale * p.k_descale * ptx::kLog2e;  // descales: 1 unless fp8
  const std::uint32_t q_base = sm.q() + cw * 64 * Tr::kSwzBytes;
  constexpr bool kLazyRescale = Tr::kLazyRescale && !kDropout;  // with dropout the vote costs more than it saves
  constexpr float kMaxSlack = kDropout ? 0.f : Tr::kMaxSlack;
  const int lrow0 = cw * 64 + warp * 16 + lane / 4;  // this thread's first row inside the tile
  // Ping-pong: warpgroup cw issues its GEMMs after cw - 1 (cyclically) has issued its own.
  constexpr bool kPingPong = Tr::kPingPong;
  constexpr int kChains = Tr::kSoftmaxChains;
  auto sched_sync = [&] {
    if constexpr (kPingPong) ptx::named_bar_sync(kBarSched + cw, 256);
  };
  auto sched_pass = [&] {
    if constexpr (kPingPong) ptx::named_bar_arrive(kBarSched + (cw + 1) % kWGs, 256);
  };
  // The exponentials' turns (ExpTurns) use the same barriers; the two are never on together.
  constexpr bool kExpTurns = Tr::kExpTurns;
  static_assert(!(kPingPong && kExpTurns), "ping-pong and the exponentials' turns share their barriers");
  static_assert(!kExpTurns || kWGs == 2, "the turns' barriers count two warpgroups (256 threads)");
  static_assert(!(Tr::kSerialGemms && kPingPong), "the serial path takes the ping-pong turn for each GEMM alone");
  if ((kPingPong || kExpTurns) && cw == kWGs - 1) ptx::named_bar_arrive(kBarSched, 256);  // warpgroup 0 goes first
  // Q is done with once the tile's last S GEMM (walk entry 0) has completed (with its own O buffer; else after
  // the store).
  auto release_q_after_last_s = [&](int i) {
    if (Tr::kSeparateO && i == 0 && leader) ptx::mbar_arrive(sm.empty_q());
  };

  TileFeed<Tr, kCausal> feed{sm, static_cast<long long>(num_m) * p.heads * p.batch, p.tile_counter, {}};
  RingPos<Tr::kStages> kpos, vpos;
  std::uint32_t q_phase = 0;
  for (long long ti = feed.first(); ti < feed.tiles; ti = feed.next(ti)) {
    const Tile tile = decode_tile<kCausal>(ti, num_m, p);
    const int n_blocks = kv_count<Tr, kCausal, kBlockMask>(tile, num_m, p);
    const int row0 = tile.m * BM + lrow0;  // this thread's rows: row0, row0 + 8
    if (n_blocks == 0) {
      store_empty_tile<Tr, T>(p, tile, row0, t);
      continue;
    }
    auto needs_mask = [&](int n) {
      return (n + 1) * BN > p.seqlen_kv || (kCausal && (n + 1) * BN - 1 > tile.m * BM + diag);
    };
    // Masks S of walk entry i and returns its key block: the ragged end and the causal diagonal, and with a block
    // mask all of S when the mask drops the block for this warpgroup's rows.
    auto mask_s = [&](float (&sv)[BN / 2], int i) {
      if constexpr (kBlockMask) {
        const int e = kv_entry(i, tile, num_m, p), n = e >> kKvEntryShift;
        const bool drop = ((e >> cw) & 1) == 0;
        if (drop || needs_mask(n)) mask_block<BN, kCausal, true>(sv, n * BN, row0, t, p.seqlen_kv, diag, drop);
        return n;
      } else {
        if (needs_mask(i)) mask_block<BN, kCausal>(sv, i * BN, row0, t, p.seqlen_kv, diag);
        return i;
      }
    };

    float o[D / 2];
#pragma unroll
    for (int j = 0; j < D / 2; ++j) o[j] = 0.f;
    float rs[4] = {0.f, 0.f, 0.f, 0.f};  // kRowSumGemm: P's row sums (columns 2t, 2t + 1 of rows row0, row0 + 8)
    float row_max[2] = {kNegInf, kNegInf}, row_sum[2] = {0.f, 0.f}, corr[2];
    float s[BN / 2];
    std::uint32_t pr[Tr::kPFrags][4];
    Philox4 keep[kDropout ? BN / 32 : 1];  // this block's dropout flags (dropout_flags)
    // The dropout calls of this thread's rows (unused, and removed, without dropout).
    const DropoutRow drow(p.seed, static_cast<std::uint32_t>(tile.b), static_cast<std::uint32_t>(tile.h),
                          dropout_counter_row(static_cast<std::uint32_t>(row0)));
    // The accumulators and P pinned around a wgmma fence (pin_o_and_p), the row sums with them.
    auto pin = [&] {
      pin_o_and_p<Tr>(o, pr);
      if constexpr (kRowSumGemm) ptx::fence_regs(rs);
    };
    // O (and the tensor-core row sums) by the softmax's corrections, unless conditional rescaling skips it: no row
    // max of the warp moved, or no correction differs from 1 (ex2.approx(0) is exactly 1), which says the same
    // except for rows still at -inf, whose O is zero either way.
    auto rescale_o = [&](bool moved, const float (&c)[2]) {
      const bool rescale = Tr::kVoteOnMoved ? moved : (c[0] != 1.f || c[1] != 1.f);
      if (!kLazyRescale || __any_sync(0xFFFFFFFFu, rescale)) {
#pragma unroll
        for (int j = 0; j < D / 2; ++j) o[j] *= c[(j / 2) % 2];
        if constexpr (kRowSumGemm) {
#pragma unroll
          for (int j = 0; j < 4; ++j) rs[j] *= c[(j / 2) % 2];
        }
      }
    };
    // Dropout's flags for key block n, drawn before the softmax.
    auto draw_flags = [&](int n) {
      if constexpr (kDropout) dropout_flags<BN>(keep, drow, p.dropout_threshold8, n * BN, t);
    };

    // S of walk entry i with no other GEMM in flight, waited for, K released, masked, and its dropout flags drawn.
    auto s_alone = [&](int i) {
      ptx::mbar_wait(sm.full_k(kpos.stage), kpos.phase);
      sched_sync();
      ptx::wgmma_fence();
      gemm_qk<Tr, T>(s, q_base, sm.k(kpos.stage));
      ptx::wgmma_commit();
      sched_pass();
      ptx::wgmma_wait<0>();
      ptx::fence_regs(s);
      if (leader) ptx::mbar_arrive(sm.empty_k(kpos.stage));
      kpos.advance();
      release_q_after_last_s(i);
      draw_flags(mask_s(s, i));
    };

    // P V of the current V stage with no other GEMM in flight, waited for, and V released.
    auto pv_alone = [&] {
      ptx::mbar_wait(sm.full_v(vpos.stage), vpos.phase);
      sched_sync();
      pin();
      ptx::wgmma_fence();
      gemm_pv<Tr, T>(o, pr, sm.v(vpos.stage));
      if constexpr (kRowSumGemm) gemm_row_sums<Tr, T>(rs, pr, sm.ones());
      ptx::wgmma_commit();
      sched_pass();
      ptx::wgmma_wait<0>();
      pin();
      if (leader) ptx::mbar_arrive(sm.empty_v(vpos.stage));
      vpos.advance();
    };

    ptx::mbar_wait(sm.full_q(), q_phase);
    q_phase ^= 1u;

    const ExpTurns<kExpTurns> turns{sm.zero(), kBarSched + cw, kBarSched + (cw + 1) % kWGs};
    // fp8 D = 128 non-causal: half of the GEMMs in the middle of each turn (Fwd3Traits::kMidTurn).
    constexpr bool kMidTurn = Tr::kMidTurn && !kCausal;
    // S of the tile's first block (walk entry n_blocks - 1) in two halves, waited for, K released, masked: the serial
    // loops' prologue (generic, so that only the instances that call it compile it). Its tail (K released, Q after
    // the last S, the mask) is written out again at the end of both loops' blocks: as one lambda, ptxas schedules
    // the fp8 D = 128 kernels differently from the measured builds (session 19, and again in session 20).
    auto s_first_in_halves = [&](auto...) {
      ptx::mbar_wait(sm.full_k(kpos.stage), kpos.phase);
      ptx::wgmma_fence();
      gemm_qk_half<Tr, T, 0>(s, q_base, sm.k(kpos.stage));
      gemm_qk_half<Tr, T, 1>(s, q_base, sm.k(kpos.stage));
      ptx::wgmma_commit();
      ptx::wgmma_wait<0>();
      ptx::fence_regs(s);
      if (leader) ptx::mbar_arrive(sm.empty_k(kpos.stage));
      kpos.advance();
      release_q_after_last_s(n_blocks - 1);
      mask_s(s, n_blocks - 1);
    };
    if constexpr (kMidTurn) {
      // Each block: its maxima, then its turn at the exponentials in two halves of 128 keys. Once the first half of
      // P is packed, P V's first half and the next block's first S half go to the tensor core and run under the
      // second half's exponentials; after the turn P V's second half, and the next S's second half once P V is done
      // (O, S and P in flight together do not fit). Fwd3Traits::kMidTurn says what it measured.
      static_assert(kExpTurns && !kRowSumGemm && !kDropout && !kLazyRescale, "fp8 D = 128's serial loop");
      auto block = [&](int i, auto has_next) {
        constexpr bool kNext = decltype(has_next)::value;
        ptx::mbar_wait(sm.full_v(vpos.stage), vpos.phase);
        if constexpr (kNext) ptx::mbar_wait(sm.full_k(kpos.stage), kpos.phase);
        float neg[2], sum[2][kChains] = {};
        const bool moved = softmax_maxima<BN, kChains>(s, row_max, corr, neg, scale_log2, Tr::kPOffset, 0.f);
        const float z = turns.before();
        neg[0] += z;
        neg[1] += z;
        rescale_o(moved, corr);
        softmax_exps<BN, 0, BN / 4, true>(s, neg, scale_log2, sum);
        p_half_to_a_fp8<0>(s, pr);
        ptx::fence_regs(o);
#pragma unroll
        for (int kk = 0; kk < 4; ++kk) ptx::fence_regs(pr[kk]);
        ptx::wgmma_fence();
        gemm_pv_half<Tr, 0>(o, pr, sm.v(vpos.stage));
        ptx::wgmma_commit();
        if constexpr (kNext) {
          gemm_qk_half<Tr, T, 0, true>(s, q_base, sm.k(kpos.stage));
          ptx::wgmma_commit();
        }
        softmax_exps<BN, BN / 4, BN / 2, true>(s, neg, scale_log2, sum);
        p_half_to_a_fp8<1>(s, pr);
        softmax_fold_sums(sum, row_sum, corr);
        turns.after(row_sum[0] + row_sum[1]);
        // Not O here: P V's first half is accumulating into it (a register write ptxas would have to wait for).
#pragma unroll
        for (int kk = 4; kk < 8; ++kk) ptx::fence_regs(pr[kk]);
        ptx::wgmma_fence();
        gemm_pv_half<Tr, 1>(o, pr, sm.v(vpos.stage));
        ptx::wgmma_commit();
        if constexpr (kNext) {
          ptx::wgmma_wait<1>();  // P V done
          ptx::fence_regs(o);
          ptx::wgmma_fence();
          gemm_qk_half<Tr, T, 1, true>(s, q_base, sm.k(kpos.stage));
          ptx::wgmma_commit();
        }
        ptx::wgmma_wait<0>();
        pin();
        ptx::fence_regs(s);
        if (leader) ptx::mbar_arrive(sm.empty_v(vpos.stage));
        vpos.advance();
        if constexpr (kNext) {
          if (leader) ptx::mbar_arrive(sm.empty_k(kpos.stage));
          kpos.advance();
          release_q_after_last_s(i - 1);
          mask_s(s, i - 1);
        }
      };
      s_first_in_halves();
      for (int i = n_blocks - 1; i >= 1; --i) block(i, std::true_type{});
      block(0, std::false_type{});
    } else if constexpr (Tr::kSerialGemms) {
      // Each block's softmax between its S GEMM and its P V GEMM (Fwd3Traits::kSerialGemms says why). The P V GEMM and
      // the first half (128 keys) of the next block's S GEMM go to the tensor core together, the second half once
      // P V is done and P's registers are free (S, P and O in flight together do not fit), so that the tensor core
      // runs them back to back. Every S GEMM is issued in halves: with m64n256 and m64n128 accumulators on the same
      // registers ptxas serialises every wgmma of the kernel (C7511).
      auto softmax_and_pack = [&] {
        const bool moved =
            online_softmax<BN, !kRowSumGemm, kChains>(s, row_max, row_sum, corr, scale_log2, Tr::kPOffset, kMaxSlack,
                                                      turns);
        rescale_o(moved, corr);
        p_to_a<Tr, T>(s, pr);
      };
      s_first_in_halves();
      for (int i = n_blocks - 1; i >= 1; --i) {
        softmax_and_pack();
        ptx::mbar_wait(sm.full_v(vpos.stage), vpos.phase);
        pin();
        ptx::wgmma_fence();
        gemm_pv<Tr, T>(o, pr, sm.v(vpos.stage));
        ptx::wgmma_commit();
        ptx::mbar_wait(sm.full_k(kpos.stage), kpos.phase);
        ptx::wgmma_fence();
        gemm_qk_half<Tr, T, 0>(s, q_base, sm.k(kpos.stage));
        ptx::wgmma_commit();
        ptx::wgmma_wait<1>();  // P V done: P's registers and the V stage are free
        pin();
        if (leader) ptx::mbar_arrive(sm.empty_v(vpos.stage));
        vpos.advance();
        ptx::wgmma_fence();
        gemm_qk_half<Tr, T, 1>(s, q_base, sm.k(kpos.stage));
        ptx::wgmma_commit();
        ptx::wgmma_wait<0>();
        ptx::fence_regs(s);
        if (leader) ptx::mbar_arrive(sm.empty_k(kpos.stage));
        kpos.advance();
        release_q_after_last_s(i - 1);
        mask_s(s, i - 1);
      }
      softmax_and_pack();
      pv_alone();  // the last GEMM: P V of the first block
    } else {
      // Prologue: S of the last block, its softmax.
      {
        const int i = n_blocks - 1;
        s_alone(i);
        online_softmax<BN, !kRowSumGemm, kChains>(s, row_max, row_sum, corr, scale_log2, Tr::kPOffset, kMaxSlack);
        p_to_a<Tr, T>(s, pr);
        if constexpr (kDropout) apply_dropout<BN>(pr, keep);
      }

      // Steady state: S(n) and P V(n + 1) in flight together.
      for (int i = n_blocks - 2; i >= 0; --i) {
        ptx::mbar_wait(sm.full_k(kpos.stage), kpos.phase);
        sched_sync();
        pin();
        ptx::wgmma_fence();
        gemm_qk<Tr, T>(s, q_base, sm.k(kpos.stage));
        ptx::wgmma_commit();
        ptx::mbar_wait(sm.full_v(vpos.stage), vpos.phase);
        ptx::wgmma_fence();  // the wait loop above is a new basic block: wgmma needs its own fence there
        gemm_pv<Tr, T>(o, pr, sm.v(vpos.stage));
        if constexpr (kRowSumGemm) gemm_row_sums<Tr, T>(rs, pr, sm.ones());
        ptx::wgmma_commit();
        sched_pass();
        ptx::wgmma_wait<1>();
        ptx::fence_regs(s);
        if (leader) ptx::mbar_arrive(sm.empty_k(kpos.stage));
        kpos.advance();
        release_q_after_last_s(i);
        const int n = mask_s(s, i);
        draw_flags(n);
        const bool moved =
            online_softmax<BN, !kRowSumGemm, kChains>(s, row_max, row_sum, corr, scale_log2, Tr::kPOffset, kMaxSlack);
        ptx::wgmma_wait<0>();
        pin();  // P stays live until its GEMM is done
        if (leader) ptx::mbar_arrive(sm.empty_v(vpos.stage));
        vpos.advance();
        rescale_o(moved, corr);
        p_to_a<Tr, T>(s, pr);
        if constexpr (kDropout) apply_dropout<BN>(pr, keep);
      }

      pv_alone();  // the last GEMM: P V of the first block
    }

    if constexpr (kRowSumGemm) {
      row_sum[0] = rs[0];
      row_sum[1] = rs[2];
    }
    epilogue<Tr, T, kDropout, kRowSumGemm>(sm, &tm_o, p, tile, o, row_max, row_sum, cw, row0, lrow0, t, leader);
  }
  if (leader) ptx::tma_store_wait_all();
#endif
}

}  // namespace fa::flash3
