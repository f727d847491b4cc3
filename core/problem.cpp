#include "core/problem.hpp"

#include <cmath>
#include <cstdio>
#include <numeric>

#include "core/varlen.hpp"

namespace fa {

std::string_view to_string(Pass p) {
  switch (p) {
    case Pass::fwd: return "fwd";
    case Pass::bwd: return "bwd";
    case Pass::fwdbwd: return "fwdbwd";
  }
  return "?";
}

std::optional<Pass> parse_pass(std::string_view s) {
  if (s == "fwd" || s == "forward") return Pass::fwd;
  if (s == "bwd" || s == "backward") return Pass::bwd;
  if (s == "fwdbwd" || s == "fwd+bwd" || s == "both") return Pass::fwdbwd;
  return std::nullopt;
}

std::string_view to_string(Layout l) { return l == Layout::bhnd ? "bhnd" : "bnhd"; }

std::optional<Layout> parse_layout(std::string_view s) {
  if (s == "bhnd") return Layout::bhnd;
  if (s == "bnhd") return Layout::bnhd;
  return std::nullopt;
}

bool is_known_sparsity(std::string_view s) {
  return s == "dense" || s == "causal-blocks" || s == "local" || s == "strided" || s == "random" ||
         s == "butterfly";
}

double Problem::scale() const {
  return softmax_scale != 0.0 ? softmax_scale : 1.0 / std::sqrt(static_cast<double>(head_dim));
}

Strides strides_for(Layout layout, std::int64_t heads, std::int64_t seqlen, std::int64_t head_dim) {
  if (layout == Layout::bhnd) return {heads * seqlen * head_dim, seqlen * head_dim, head_dim};
  return {seqlen * heads * head_dim, head_dim, heads * head_dim};
}

std::int64_t q_tokens(const Problem& p) {
  if (p.is_varlen()) return std::accumulate(p.seqlens.begin(), p.seqlens.end(), std::int64_t{0});
  return p.batch * p.seqlen_q;
}
std::int64_t kv_tokens(const Problem& p) { return p.is_varlen() ? q_tokens(p) : p.batch * p.seqlen_kv; }
std::int64_t q_elements(const Problem& p) { return q_tokens(p) * p.heads * p.head_dim; }
std::int64_t kv_elements(const Problem& p) { return kv_tokens(p) * p.num_kv_heads() * p.head_dim; }

std::vector<std::int64_t> seq_offsets(const Problem& p) {
  std::vector<std::int64_t> off(1, 0);
  for (const std::int64_t n : p.seqlens) off.push_back(off.back() + n);
  return off;
}

Problem sequence_problem(const Problem& p, std::int64_t b) {
  Problem s = p;
  s.batch = 1;
  s.seqlen_q = s.seqlen_kv = p.seqlens.at(static_cast<std::size_t>(b));
  s.varlen.clear();
  s.seqlens.clear();
  return s;
}

std::int64_t stored_kv_heads(std::int64_t heads, std::int64_t kv_heads) { return kv_heads == heads ? 0 : kv_heads; }

std::string kv_heads_problem(std::int64_t heads, std::int64_t kv_heads) {
  Problem p;  // the rule of Problem::kv_heads_divide, on a count as read (0 is not a count here)
  p.heads = heads;
  p.kv_heads = kv_heads;
  if (kv_heads >= 1 && p.kv_heads_divide()) return "";
  return "kv_heads " + std::to_string(kv_heads) + " for " + std::to_string(heads) +
         " heads (accepted: a positive divisor of heads)";
}

namespace {
std::string fmt_double(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}
}  // namespace

std::string point_key(const Point& pt) {
  const Problem& p = pt.problem;
  std::string k = pt.kernel;
  k += '|';
  k += to_string(pt.pass);
  k += "|B" + std::to_string(p.batch) + "|H" + std::to_string(p.heads);
  if (p.grouped_kv()) k += "|KV" + std::to_string(p.num_kv_heads());  // absent for MHA: older keys still match
  k += "|Nq" + std::to_string(p.seqlen_q) + "|Nk" + std::to_string(p.seqlen_kv) + "|D" + std::to_string(p.head_dim);
  // Absent without a varlen batch (older keys still match); a drawn distribution's lengths depend on
  // the seed, so it is in the key then.
  if (p.is_varlen()) {
    k += "|V" + p.varlen;
    if (p.varlen.rfind("uniform:", 0) == 0) k += "@" + std::to_string(p.seed);
  }
  k += '|';
  k += to_string(p.dtype);
  k += "|p" + fmt_double(p.dropout) + (p.causal ? "|causal" : "|full") + "|s" + fmt_double(p.scale()) + '|';
  k += to_string(p.layout);
  k += '|' + p.sparsity.pattern;
  if (!p.sparsity.is_dense()) {
    k += "@" + fmt_double(p.sparsity.density) + "/" + std::to_string(p.sparsity.block_q) + "x" +
         std::to_string(p.sparsity.block_k);
  }
  return k;
}

std::string point_label(const Point& pt) {
  const Problem& p = pt.problem;
  std::string s = pt.kernel + "/" + std::string(to_string(pt.pass)) + "/B" + std::to_string(p.batch) + "-H" +
                  std::to_string(p.heads);
  if (p.grouped_kv()) s += "-KV" + std::to_string(p.num_kv_heads());
  if (p.is_varlen()) {
    s += "-V" + varlen_label(p.varlen);
  } else {
    s += "-N" + std::to_string(p.seqlen_q);
    if (p.seqlen_kv != p.seqlen_q) s += "x" + std::to_string(p.seqlen_kv);
  }
  s += "-D" + std::to_string(p.head_dim) + "-" + std::string(to_string(p.dtype));
  if (p.causal) s += "-causal";
  if (p.dropout > 0) s += "-p" + fmt_double(p.dropout);
  if (p.layout != Layout::bhnd && !p.is_varlen()) s += "-" + std::string(to_string(p.layout));  // varlen: always packed
  if (!p.sparsity.is_dense()) s += "-" + p.sparsity.pattern + fmt_double(p.sparsity.density);
  return s;
}

}  // namespace fa
