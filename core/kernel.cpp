#include "core/kernel.hpp"

#include "core/philox.hpp"

namespace fa {

std::string_view to_string(Backend b) { return b == Backend::host ? "host" : "cuda"; }

Support refuse_grouped_kv(std::string_view family, const Problem& p) {
  if (!p.grouped_kv()) return Support::yes();
  return Support::no(std::string(family) + ": grouped K/V heads (kv_heads " + std::to_string(p.num_kv_heads()) +
                     " != heads " + std::to_string(p.heads) + ") not implemented");
}

Support refuse_varlen(std::string_view family, const Problem& p) {
  if (!p.is_varlen()) return Support::yes();
  return Support::no(std::string(family) + ": variable-length batches (--varlen " + p.varlen + ") not implemented");
}

double applied_dropout(const AttentionKernel& k, const Problem& p) {
  return k.shares_dropout_mask() ? dropout_p_used(p.dropout) : p.dropout;
}

}  // namespace fa
