#pragma once
// Launch parameters shared by the flash forward and backward kernels and the block-sparse family
// (which is the same kernels driven by a block mask). Plain data: no CUDA types, so host glue code
// can fill it. Strides are in elements; head dim is contiguous.
#include <cstddef>
#include <cstdint>

#include "core/dtype.hpp"

namespace fa::flash {

struct FlashParams {
  // Forward operands.
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
  // Grouped-query attention: query head h reads K/V head h / kv_group; K, V, dK, dV have
  // heads / kv_group heads (their strides say so). 1: as many K/V heads as query heads.
  int kv_group = 1;
  DType dtype = DType::fp16;
  float scale = 1.0f;  // softmax scale

  bool causal = false;  // bottom-right aligned (core/masking.hpp)

  // Dropout with the shared Philox keep-mask (core/philox.hpp). dropout_threshold is the 8-bit
  // threshold t8 = fa::dropout_threshold8(p) (0..255: an element is kept iff its random byte is
  // >= t8), and dropout the probability that applies, fa::dropout_p_used(p) = t8 / 256: the
  // kernels run their dropout instances when it is > 0 and scale kept elements by 1 / (1 - dropout).
  float dropout = 0.0f;
  std::uint32_t dropout_threshold = 0;
  std::uint64_t seed = 0;

  // Optional block mask (core/block_mask.hpp layout), device pointer; null = dense.
  const std::uint8_t* block_mask = nullptr;
  int mask_heads = 0, mask_blocks_q = 0, mask_blocks_k = 0, mask_block_q = 0, mask_block_k = 0;

  // Variable-length batch (Operands::cu_seqlens): B + 1 int32 token offsets on the device, null
  // otherwise. Sequence b is rows [cu[b], cu[b+1]) of every tensor (row stride *_stride_n, batch
  // stride 0) with as many keys as queries; seqlen_q = seqlen_kv = the longest, which sizes the grid
  // (blocks past a sequence's end exit), lse [B, H, seqlen_q] and the backward's workspace rows
  // (flash_varlen.cuh).
  const std::int32_t* cu_seqlens = nullptr;
};

struct FlashBwdParams : FlashParams {
  const void* dout = nullptr;
  void* dq = nullptr;
  void* dk = nullptr;
  void* dv = nullptr;
  std::int64_t do_stride_b = 0, do_stride_h = 0, do_stride_n = 0;
  std::int64_t dq_stride_b = 0, dq_stride_h = 0, dq_stride_n = 0;
  std::int64_t dk_stride_b = 0, dk_stride_h = 0, dk_stride_n = 0;
  std::int64_t dv_stride_b = 0, dv_stride_h = 0, dv_stride_n = 0;
};

// Which shapes the kernels handle; empty string = supported, otherwise the reason.
const char* flash_fwd_unsupported_reason(const FlashParams& p);
const char* flash_bwd_unsupported_reason(const FlashParams& p);

// Forward: writes o and lse. `stream` is a cudaStream_t.
void flash_fwd(const FlashParams& p, void* stream);

// Backward: scratch bytes it needs (fp32 dQ accumulator, row sums of dO*O, with grouped K/V heads
// fp32 dK/dV accumulators, ...), and the launch, which must fully (re)initialise any accumulator it
// uses so that it is re-runnable.
std::size_t flash_bwd_workspace_bytes(const FlashParams& p);
void flash_bwd(const FlashBwdParams& p, void* workspace, void* stream);

}  // namespace fa::flash
