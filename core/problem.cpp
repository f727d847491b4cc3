#include "core/problem.hpp"

#include <cmath>
#include <cstdio>

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

std::int64_t q_elements(const Problem& p) { return p.batch * p.heads * p.seqlen_q * p.head_dim; }
std::int64_t kv_elements(const Problem& p) { return p.batch * p.num_kv_heads() * p.seqlen_kv * p.head_dim; }

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
  k += "|Nq" + std::to_string(p.seqlen_q) +
       "|Nk" + std::to_string(p.seqlen_kv) + "|D" + std::to_string(p.head_dim) + '|';
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
  s += "-N" + std::to_string(p.seqlen_q);
  if (p.seqlen_kv != p.seqlen_q) s += "x" + std::to_string(p.seqlen_kv);
  s += "-D" + std::to_string(p.head_dim) + "-" + std::string(to_string(p.dtype));
  if (p.causal) s += "-causal";
  if (p.dropout > 0) s += "-p" + fmt_double(p.dropout);
  if (p.layout != Layout::bhnd) s += "-" + std::string(to_string(p.layout));
  if (!p.sparsity.is_dense()) s += "-" + p.sparsity.pattern + fmt_double(p.sparsity.density);
  return s;
}

}  // namespace fa
