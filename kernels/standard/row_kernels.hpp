#pragma once
// Host-side entry points of the standard family's own CUDA kernels: everything between the cuBLAS
// matmuls. All of them work on the materialised [B, H, Nq, ld] score-shaped buffers (row stride
// ld >= Nk, a multiple of 16 bytes so that every row starts 16-byte aligned for vector access;
// columns >= Nk are padding that no matmul reads).
#include <cstdint>

#include "core/dtype.hpp"
#include "core/hostdevice.hpp"

namespace fa::standard {

// Shape of the score-shaped buffers and of the causal mask. Plain data, passed to kernels by value.
struct RowGeometry {
  std::int64_t rows = 0;  // B * H * Nq
  std::int32_t seqlen_q = 0, seqlen_kv = 0;
  std::int32_t ld = 0;     // row stride in elements
  std::int32_t heads = 0;
  bool causal = false;
};

// The shared Philox keep-mask (core/philox.hpp) and the 1/(1-p) rescale of kept elements:
// threshold = fa::dropout_threshold8(p), keep_scale = 1 / (1 - fa::dropout_p_used(p)).
struct DropoutSpec {
  bool enabled = false;
  std::uint32_t threshold = 0;  // 8-bit: an element is kept iff its random byte is >= threshold
  float keep_scale = 1.0f;
  std::uint64_t seed = 0;
};

// Row stride (elements) for a score row of nk elements of dtype d: nk rounded up to 16 bytes.
std::int64_t padded_row_elements(DType d, std::int64_t nk);

// Forward: P = dropout(softmax(mask(S))) and lse (float, -inf for fully masked rows), one read of
// S and one write of P (padding columns of P written as zero).
void softmax_forward(DType d, const void* s, void* p, float* lse, const RowGeometry& g, const DropoutSpec& drop,
                     void* stream);

// delta[row] = sum_d dO[row, d] * O[row, d] (float accumulation) for every row of [B, H, Nq, D]
// tensors with element strides (D contiguous).
struct RowDotArgs {
  const void* o = nullptr;
  const void* dout = nullptr;
  std::int64_t o_stride_b = 0, o_stride_h = 0, o_stride_n = 0;
  std::int64_t do_stride_b = 0, do_stride_h = 0, do_stride_n = 0;
  std::int32_t head_dim = 0;
};
void row_dot(DType d, const RowDotArgs& a, float* delta, const RowGeometry& g, void* stream);

// Backward element-wise passes (lse and delta per row make them reductions-free):
//   dropped_probs:  out = exp(S - lse) * keep / (1 - p)          (x = S, dp unused)
//   grad_from_probs: out = P * (dP - delta)                       (x = P, no dropout)
//   grad_from_scores: out = exp(S - lse) * (dP * keep/(1-p) - delta)   (x = S)
// Invisible (causally masked) and padding columns are written as zero. `out` may alias `dp`.
enum class GradMode : std::uint8_t { dropped_probs, grad_from_probs, grad_from_scores };
void softmax_backward(DType d, GradMode mode, const void* x, const void* dp, void* out, const float* lse,
                      const float* delta, const RowGeometry& g, const DropoutSpec& drop, void* stream);

// Row decoding shared by the kernels: flat row index -> (batch, head, query row), and how many
// leading columns of that row are visible (bottom-right aligned causal; core/masking.hpp).
struct RowPos {
  std::uint32_t b, h, i;
};
FA_HD RowPos decode_row(const RowGeometry& g, std::int64_t row) {
  const std::int64_t bh = row / g.seqlen_q;
  const std::int64_t b = bh / g.heads;
  return RowPos{static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(bh - b * g.heads),
                static_cast<std::uint32_t>(row - bh * g.seqlen_q)};
}
FA_HD std::int32_t visible_columns(const RowGeometry& g, std::uint32_t i) {
  if (!g.causal) return g.seqlen_kv;
  // causal_visible(i, j) <=> j <= i + Nk - Nq: the visible columns are a prefix of the row.
  const std::int64_t n = static_cast<std::int64_t>(i) + g.seqlen_kv - g.seqlen_q + 1;
  return static_cast<std::int32_t>(n < 0 ? 0 : (n > g.seqlen_kv ? g.seqlen_kv : n));
}

}  // namespace fa::standard
