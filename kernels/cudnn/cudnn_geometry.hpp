#pragma once
// What cuDNN is asked to compute for one point: the problem as cuDNN sees it (dims, strides, mask
// alignment), independent of any cuDNN header so it can be reasoned about and tested on its own.
//
// Our causal mask is bottom-right aligned (query row i sees keys j <= i + Nk - Nq). cuDNN's
// bottom-right alignment refuses Nq > Nk ("virtually slice the Q tensor"), and then the first Nq - Nk
// query rows see no key at all: their O is 0, lse is -inf and dQ is 0 by our convention. So for
// causal Nq > Nk we hand cuDNN only the last Nk query rows (a square problem, where top-left and
// bottom-right coincide) and write the fully masked rows ourselves (cudnn_masked_rows.hpp). cuDNN's
// stats tensor then covers Nk rows out of Nq, so it lives in scratch and is copied to and from lse.
#include <cstdint>
#include <string>
#include <vector>

#include "core/kernel.hpp"
#include "core/problem.hpp"

namespace fa::cudnn {

enum class GraphKind : std::uint8_t { fwd, bwd };

// How the causal diagonal is placed for the rows cuDNN sees.
enum class MaskMode : std::uint8_t { none, causal_top_left, causal_bottom_right };

struct Strides4 {
  std::int64_t b = 0, h = 0, n = 0;  // D is contiguous
};

struct Geometry {
  std::int64_t batch = 0, heads = 0;
  std::int64_t kv_heads = 0;  // heads of K, V, dK, dV (fewer than heads: grouped-query attention, which
                              // cuDNN's SDPA takes natively, summing dK/dV over each group itself)
  std::int64_t seqlen_q = 0;   // query rows of the problem (Operands' Nq)
  std::int64_t rows_skipped = 0;  // leading query rows that see no key (causal Nq > Nk), not given to cuDNN
  std::int64_t seqlen_q_cudnn = 0;  // seqlen_q - rows_skipped
  std::int64_t seqlen_kv = 0, head_dim = 0;
  DType dtype = DType::bf16;
  float scale = 0;
  float dropout = 0;
  MaskMode mask = MaskMode::none;
  Strides4 q, k, v, o, dout, dq, dk, dv;
  // Variable-length batch (Problem::seqlens): cuDNN's ragged ("THD") tensors. Dims [B, H, S, D] with S
  // the longest sequence and the packed layout's strides; each batch entry starts at its ragged offset
  // (token offset x heads x D elements), and a padding mask with the per-sequence lengths keeps every
  // row and key of a sequence inside it. Stats stay [B, H, S] (our lse). Empty: fixed-length.
  std::vector<std::int64_t> seqlens;
  bool varlen() const { return !seqlens.empty(); }

  // cuDNN's stats cannot be our lse directly when rows are skipped (see the top of the file).
  bool stats_in_scratch() const { return rows_skipped > 0; }
  // Identity of the cuDNN graph of this geometry and kind (the plan-cache key): every field above.
  // The dropout seed and a varlen batch's lengths are not in it: device tensors read at execution.
  std::string key(GraphKind kind) const;
};

// Geometry of a point. With ops, the operands' own strides are used; without (support checks before
// any operand exists), the strides of the problem's layout.
Geometry geometry_for(const Problem& p, const Operands* ops);

}  // namespace fa::cudnn
