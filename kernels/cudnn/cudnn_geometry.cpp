#include "kernels/cudnn/cudnn_geometry.hpp"

#include <cstdio>

namespace fa::cudnn {
namespace {

Strides4 from_layout(const Strides& s) { return {s.b, s.h, s.n}; }

// The operand's strides when it exists (gradients exist only for backward passes).
Strides4 strides_of(const TensorRef& t, const Strides4& fallback) {
  if (t.data == nullptr) return fallback;
  return {t.stride_b, t.stride_h, t.stride_n};
}

void append(std::string& s, const Strides4& t) {
  s += std::to_string(t.b) + "," + std::to_string(t.h) + "," + std::to_string(t.n) + ";";
}

}  // namespace

Geometry geometry_for(const Problem& p, const Operands* ops) {
  Geometry g;
  g.batch = p.batch;
  g.heads = p.heads;
  g.kv_heads = p.num_kv_heads();
  g.seqlen_q = p.seqlen_q;
  g.seqlen_kv = p.seqlen_kv;
  g.head_dim = p.head_dim;
  g.dtype = p.dtype;
  g.scale = static_cast<float>(p.scale());
  g.dropout = static_cast<float>(p.dropout);
  g.rows_skipped = (p.causal && p.seqlen_q > p.seqlen_kv) ? p.seqlen_q - p.seqlen_kv : 0;
  g.seqlen_q_cudnn = p.seqlen_q - g.rows_skipped;
  if (p.causal) g.mask = g.seqlen_q_cudnn == g.seqlen_kv ? MaskMode::causal_top_left : MaskMode::causal_bottom_right;

  const Strides4 sq = from_layout(strides_for(p.layout, p.heads, p.seqlen_q, p.head_dim));
  const Strides4 sk = from_layout(strides_for(p.layout, p.num_kv_heads(), p.seqlen_kv, p.head_dim));
  g.q = g.o = g.dout = g.dq = sq;
  g.k = g.v = g.dk = g.dv = sk;
  if (p.is_varlen()) {  // ragged: the packed layout's strides with S = the longest (the operands have no batch stride)
    g.seqlens = p.seqlens;
    g.q = g.o = g.dout = g.dq = from_layout(strides_for(Layout::bnhd, p.heads, p.seqlen_q, p.head_dim));
    g.k = g.v = g.dk = g.dv = from_layout(strides_for(Layout::bnhd, p.num_kv_heads(), p.seqlen_kv, p.head_dim));
  } else if (ops != nullptr) {
    g.q = strides_of(ops->q, sq);
    g.k = strides_of(ops->k, sk);
    g.v = strides_of(ops->v, sk);
    g.o = strides_of(ops->o, sq);
    g.dout = strides_of(ops->dout, sq);
    g.dq = strides_of(ops->dq, sq);
    g.dk = strides_of(ops->dk, sk);
    g.dv = strides_of(ops->dv, sk);
  }
  return g;
}

std::string Geometry::key(GraphKind kind) const {
  char head[256];
  std::snprintf(head, sizeof head, "%s|B%lld|H%lld|KV%lld|Nq%lld|skip%lld|Nk%lld|D%lld|%s|s%a|p%a|m%d|",
                kind == GraphKind::fwd ? "fwd" : "bwd", static_cast<long long>(batch),
                static_cast<long long>(heads), static_cast<long long>(kv_heads), static_cast<long long>(seqlen_q),
                static_cast<long long>(rows_skipped),
                static_cast<long long>(seqlen_kv), static_cast<long long>(head_dim),
                std::string(to_string(dtype)).c_str(), static_cast<double>(scale), static_cast<double>(dropout),
                static_cast<int>(mask));
  std::string s = head;
  if (varlen()) s += "ragged|";
  for (const Strides4* t : {&q, &k, &v, &o}) append(s, *t);
  if (kind == GraphKind::bwd)
    for (const Strides4* t : {&dout, &dq, &dk, &dv}) append(s, *t);
  return s;
}

}  // namespace fa::cudnn
