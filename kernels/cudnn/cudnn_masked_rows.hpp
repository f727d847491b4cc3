#pragma once
// Rows cuDNN is not given (see cudnn_geometry.hpp): with a causal mask and Nq > Nk, the first
// `skipped` query rows of every (b, h) see no key, so by our convention O = 0, dQ = 0 and lse = -inf
// there; the other rows' lse comes from (or goes to) cuDNN's contiguous stats of Nq - skipped rows.
#include <cstdint>

#include "kernels/cudnn/cudnn_geometry.hpp"

namespace fa::cudnn {

struct RowSpan {
  std::int64_t batch = 0, heads = 0;
  std::int64_t seqlen_q = 0;  // rows of lse per (b, h)
  std::int64_t skipped = 0;   // leading rows cuDNN does not see
};

// Zeroes rows [0, skipped) of each (b, h) of a 2-byte-element [B, H, Nq, D] tensor (fp16 and bf16
// share the bit pattern of +0).
void zero_skipped_rows(void* t, const Strides4& s, std::int64_t head_dim, const RowSpan& r, void* stream);

// lse[b, h, i] = -inf for i < skipped, stats[b, h, i - skipped] otherwise. lse: [B, H, Nq];
// stats: [B, H, Nq - skipped], both contiguous floats.
void stats_to_lse(const float* stats, float* lse, const RowSpan& r, void* stream);

// stats[b, h, i] = lse[b, h, i + skipped]: what cuDNN's backward reads.
void lse_to_stats(const float* lse, float* stats, const RowSpan& r, void* stream);

}  // namespace fa::cudnn
