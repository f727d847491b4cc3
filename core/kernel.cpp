#include "core/kernel.hpp"

#include "core/philox.hpp"

namespace fa {

std::string_view to_string(Backend b) { return b == Backend::host ? "host" : "cuda"; }

Support refuse_grouped_kv(std::string_view family, const Problem& p) {
  if (!p.grouped_kv()) return Support::yes();
  return Support::no(std::string(family) + ": grouped K/V heads (kv_heads " + std::to_string(p.num_kv_heads()) +
                     " != heads " + std::to_string(p.heads) + ") not implemented");
}

Support refuse_fp8_pass(const Problem& p, Pass pass) {
  if (p.dtype != DType::fp8) return Support::yes();
  if (pass != Pass::fwd) return Support::no("fp8: forward only (no family has an fp8 backward; its tensors would be bf16)");
  if (p.dropout > 0) return Support::no("fp8: no dropout (FP8 attention kernels are inference forwards)");
  return Support::yes();
}

Support refuse_fp8(std::string_view family, const Problem& p) {
  if (p.dtype != DType::fp8) return Support::yes();
  return Support::no(std::string(family) + ": no fp8 path (fp8 runs on flash3 and cudnn; see `fa-bench list`)");
}

Support refuse_varlen(std::string_view family, const Problem& p) {
  if (!p.is_varlen()) return Support::yes();
  return Support::no(std::string(family) + ": variable-length batches (--varlen " + p.varlen + ") not implemented");
}

double applied_dropout(const AttentionKernel& k, const Problem& p) {
  return k.shares_dropout_mask() ? dropout_p_used(p.dropout) : p.dropout;
}

}  // namespace fa
