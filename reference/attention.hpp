#pragma once
// Float64 CPU reference for attention forward and backward. Everything a GPU kernel is checked
// against comes from here, so it is written for clarity, not speed (but loops are ordered so that
// the small points of a CPU sweep take milliseconds).
//
// Tensors are contiguous [B, H, N, D] arrays of double. Q/O/dO/dQ have N = Nq and H query heads,
// K/V/dK/dV N = Nk and kv_heads heads: query head h reads K/V head h / (heads / kv_heads), and dK, dV
// of a K/V head are summed over the query heads of its group (grouped-query attention).
// lse is [B, H, Nq]: log(sum_j exp(scale * q_i . k_j)) over the visible j, before dropout.
// A varlen batch (Config::seqlens) is one problem per sequence (batch 1, Nq = Nk = its length),
// their arrays one after the other: sequence b's [H, L_b, D] (K/V: [kv_heads, L_b, D]) and [H, L_b]
// lse blocks start at token offset t_b = L_0 + ... + L_{b-1}, i.e. at element t_b * H * D (t_b * H).
// Semantics: see reference/README.md (causal alignment, fully masked rows, dropout scaling).
#include <cstdint>
#include <vector>

#include "core/block_mask.hpp"
#include "core/problem.hpp"

namespace fa::ref {

struct Config {
  std::int64_t batch = 1, heads = 1, seqlen_q = 1, seqlen_kv = 1, head_dim = 1;
  std::int64_t kv_heads = 0;  // 0: as many as heads; else must divide heads
  double scale = 1.0;
  bool causal = false;
  double dropout = 0.0;      // probability of dropping an element of P
  std::uint64_t seed = 0;    // Philox key for the dropout keep-mask (core/philox.hpp)
  const BlockMask* mask = nullptr;  // null: dense
  std::vector<std::int64_t> seqlens;  // varlen batch: one length per sequence (batch of them); no mask
  std::int64_t batch_offset = 0;      // b of the first batch entry in the dropout counter (a sequence alone)
};

Config config_for(const Problem& p, const BlockMask* mask);

// Is (row, col) of head h visible under causal and block mask?
bool visible(const Config& c, std::int64_t h, std::int64_t row, std::int64_t col);

void forward(const Config& c, const double* q, const double* k, const double* v, double* o, double* lse);

void backward(const Config& c, const double* q, const double* k, const double* v, const double* o,
              const double* lse, const double* dout, double* dq, double* dk, double* dv);

}  // namespace fa::ref
