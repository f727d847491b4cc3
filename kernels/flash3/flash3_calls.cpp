// flash3 calls on flash's parameters (flash3_calls.hpp): the translation, the checks, and the plans.
#include "kernels/flash3/flash3_calls.hpp"

#include <stdexcept>
#include <string>

namespace fa::flash3 {

Flash3Params params_from_flash(const flash::FlashParams& f) {
  Flash3Params p;
  p.q = f.q, p.k = f.k, p.v = f.v, p.o = f.o, p.lse = f.lse;
  p.q_stride_b = f.q_stride_b, p.q_stride_h = f.q_stride_h, p.q_stride_n = f.q_stride_n;
  p.k_stride_b = f.k_stride_b, p.k_stride_h = f.k_stride_h, p.k_stride_n = f.k_stride_n;
  p.v_stride_b = f.v_stride_b, p.v_stride_h = f.v_stride_h, p.v_stride_n = f.v_stride_n;
  p.o_stride_b = f.o_stride_b, p.o_stride_h = f.o_stride_h, p.o_stride_n = f.o_stride_n;
  p.batch = f.batch, p.heads = f.heads, p.seqlen_q = f.seqlen_q, p.seqlen_kv = f.seqlen_kv, p.head_dim = f.head_dim;
  p.kv_group = f.kv_group;
  p.dtype = f.dtype;
  p.scale = f.scale;
  p.causal = f.causal;
  p.dropout_threshold8 = f.dropout_threshold;
  p.dropout_p_used = f.dropout;
  p.seed = f.seed;
  return p;
}

Flash3BwdParams params_from_flash(const flash::FlashBwdParams& f) {
  Flash3BwdParams p;
  static_cast<Flash3Params&>(p) = params_from_flash(static_cast<const flash::FlashParams&>(f));
  p.dout = f.dout, p.dq = f.dq, p.dk = f.dk, p.dv = f.dv;
  p.do_stride_b = f.do_stride_b, p.do_stride_h = f.do_stride_h, p.do_stride_n = f.do_stride_n;
  p.dq_stride_b = f.dq_stride_b, p.dq_stride_h = f.dq_stride_h, p.dq_stride_n = f.dq_stride_n;
  p.dk_stride_b = f.dk_stride_b, p.dk_stride_h = f.dk_stride_h, p.dk_stride_n = f.dk_stride_n;
  p.dv_stride_b = f.dv_stride_b, p.dv_stride_h = f.dv_stride_h, p.dv_stride_n = f.dv_stride_n;
  return p;
}

const char* unsupported_reason_for(const flash::FlashParams& f, bool backward) {
  if (f.block_mask != nullptr || f.mask_block_q > 0 || f.mask_block_k > 0) return "flash3: dense attention only";
  if (f.cu_seqlens != nullptr) return "flash3: no variable-length batches";
  const Flash3Params p = params_from_flash(f);
  return backward ? bwd_unsupported_reason(p) : fwd_unsupported_reason(p);
}

std::size_t fwd_workspace_bytes_for(const flash::FlashParams& f) { return fwd_workspace_bytes(params_from_flash(f)); }

std::size_t bwd_workspace_bytes_for(const flash::FlashParams& f) { return bwd_workspace_bytes(params_from_flash(f)); }

namespace {

// Flash3 refuses what it cannot run; a plan is built only for parameters it takes.
void require_supported(const flash::FlashParams& f, bool backward) {
  if (const char* why = unsupported_reason_for(f, backward); why[0] != '\0') throw std::invalid_argument(why);
}

Flash3Params with_tile_counter(const flash::FlashParams& f, void* workspace) {
  require_supported(f, false);
  Flash3Params p = params_from_flash(f);
  if (fwd_workspace_bytes(p) > 0) {
    if (workspace == nullptr)
      throw std::invalid_argument("flash3: this forward needs its workspace (fwd_workspace_bytes_for)");
    bind_fwd_workspace(p, workspace);
  }
  return p;
}

Flash3BwdParams checked_bwd(const flash::FlashBwdParams& f, std::size_t workspace_bytes) {
  require_supported(f, true);
  Flash3BwdParams p = params_from_flash(f);
  if (const std::size_t needed = bwd_workspace_bytes(p); workspace_bytes < needed) {
    throw std::invalid_argument("flash3 backward: workspace of " + std::to_string(workspace_bytes) +
                                " bytes, needs " + std::to_string(needed));
  }
  return p;
}

}  // namespace

Fwd3Call::Fwd3Call(const flash::FlashParams& f, void* workspace)
    : params_(with_tile_counter(f, workspace)), plan_(plan_fwd(params_)) {}

Bwd3Call::Bwd3Call(const flash::FlashBwdParams& f, void* workspace, std::size_t workspace_bytes)
    : params_(checked_bwd(f, workspace_bytes)), plan_(plan_bwd(params_, workspace)) {}

}  // namespace fa::flash3
