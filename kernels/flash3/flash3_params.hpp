#pragma once
// Launch parameters of the flash3 forward kernel: plain data (no CUDA types), filled by the host glue.
// Strides are in elements; the head dim is contiguous. The kernel reads Q, K, V and writes O through TMA
// tensor maps built from the same pointers and strides (flash3_tma.hpp); the raw pointers serve the few
// plain stores (lse, and O of tiles that see no key at all).
#include <cstdint>

#include "core/dtype.hpp"
#include "core/hostdevice.hpp"

namespace fa::flash3 {

struct Flash3Params {
  const void* q = nullptr;
  const void* k = nullptr;
  const void* v = nullptr;
  void* o = nullptr;
  float* lse = nullptr;  // [B, H, Nq] contiguous; -inf for fully masked rows
  std::int64_t q_stride_b = 0, q_stride_h = 0, q_stride_n = 0;
  std::int64_t k_stride_b = 0, k_stride_h = 0, k_stride_n = 0;
  std::int64_t v_stride_b = 0, v_stride_h = 0, v_stride_n = 0;
  std::int64_t o_stride_b = 0, o_stride_h = 0, o_stride_n = 0;

  int batch = 0, heads = 0, seqlen_q = 0, seqlen_kv = 0, head_dim = 0;
  // Grouped-query attention: query head h reads K/V head h / kv_group; K, V (and dK, dV) have heads / kv_group
  // heads (their strides say so, and so do their tensor maps). 1: as many K/V heads as query heads.
  int kv_group = 1;
  DType dtype = DType::bf16;
  float scale = 1.0f;   // softmax scale
  // fp8 (e4m3 Q, K, V; bf16 O): each input element times its tensor's descale is the value it stands for.
  float q_descale = 1.0f, k_descale = 1.0f, v_descale = 1.0f;
  bool causal = false;  // bottom-right aligned: row i sees columns j <= i + seqlen_kv - seqlen_q

  // Dropout with the shared keep-mask of core/philox.hpp (8-bit threshold; 0 = no dropout).
  std::uint32_t dropout_threshold8 = 0;
  float dropout_p_used = 0.0f;
  std::uint64_t seed = 0;

  // Causal tiles differ in length and are claimed dynamically from this counter, which must be zero at
  // the launch (run_fwd zeroes it on the stream); unused otherwise.
  int* tile_counter = nullptr;

  // fp8 head dims whose V^T the forward reads from global memory (fwd_vt_global): V transposed before the kernel,
  // [batch, K/V heads, head_dim, vt_keys(seqlen_kv)] bytes, keys permuted within each 32 (fp8_key_of_slot); run_fwd
  // writes it on the stream. Unused otherwise.
  void* vt = nullptr;

  // Block mask (the block_sparse family), as the lists of kept tile pairs flash3_block_lists.hpp builds from it
  // on the host; null: dense. Lists are per (mask head, query tile) for the forward and per (mask head, key
  // block) for the backward, each ascending, found through offsets ([mask_heads * tiles + 1] ints).
  const int* mask_kv_offsets = nullptr;
  const int* mask_kv_blocks = nullptr;  // entries: kKvEntryShift below
  const int* mask_q_offsets = nullptr;
  const int* mask_q_blocks = nullptr;   // backward query blocks (Bwd3Tile::bm rows)
  int mask_heads = 1;                   // 1: one mask for every head
};

// A forward list entry: key block << kKvEntryShift | kKvEntryLast on a tile's first entry (the walk, last block to
// first, ends there) | bit w when consumer warpgroup w's rows keep the block.
constexpr int kKvEntryShift = 4;
constexpr int kKvEntryLast = 8;

// The K/V heads (K, V, dK, dV): heads / kv_group.
FA_HD int kv_heads_of(const Flash3Params& p) { return p.heads / p.kv_group; }

// Keys per V^T row: whole groups of 32 (the permutation's unit).
FA_HD constexpr long long vt_keys(int seqlen_kv) { return (static_cast<long long>(seqlen_kv) + 31) / 32 * 32; }

// The fp8 head dims whose forward reads V^T from global memory, written by a kernel ahead of it
// (flash3_vt_transpose.cu), instead of having producer warps transpose each V tile in shared memory. At D = 128 the
// in-kernel transpose cost the forward 8.4 % / 5 % time (non-causal / causal; with the copy skipped, on an H200,
// docs/perf/2026-12-01-session19.md call 6); the kernel ahead costs 19 us at N 8192 (16k tokens, hidden 2048), and
// the whole measured -5.1 % / -1.1 % (call 9). At D = 64 and 256 it measured even and +3 to +6 % (call 8).
FA_HD constexpr bool fp8_vt_global(int head_dim) { return head_dim == 128; }

// The backward's operands besides the forward's (whose o and lse it reads). Its workspace (flash3_bwd.hpp)
// holds the fp32 dQ accumulator, lse in the log2 domain and dPsum = rowsum(dO * O), rows padded per (b, h).
struct Flash3BwdParams : Flash3Params {
  const void* dout = nullptr;
  void* dq = nullptr;
  void* dk = nullptr;
  void* dv = nullptr;
  std::int64_t do_stride_b = 0, do_stride_h = 0, do_stride_n = 0;
  std::int64_t dq_stride_b = 0, dq_stride_h = 0, dq_stride_n = 0;
  std::int64_t dk_stride_b = 0, dk_stride_h = 0, dk_stride_n = 0;
  std::int64_t dv_stride_b = 0, dv_stride_h = 0, dv_stride_n = 0;

  // Set by run_bwd from the workspace: [B * H, nq_pad] rows.
  const float* lse2 = nullptr;   // lse * log2(e); +inf for fully masked rows and padding (P = 0 there)
  const float* dpsum = nullptr;  // rowsum(dO * O); 0 for padding
  int nq_pad = 0;
};

}  // namespace fa::flash3
