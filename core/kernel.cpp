#include "core/kernel.hpp"

#include "core/philox.hpp"

namespace fa {

std::string_view to_string(Backend b) { return b == Backend::host ? "host" : "cuda"; }

double applied_dropout(const AttentionKernel& k, const Problem& p) {
  return k.shares_dropout_mask() ? dropout_p_used(p.dropout) : p.dropout;
}

}  // namespace fa
