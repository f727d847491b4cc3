// Host glue of the flash3 family: Problem + Operands -> Flash3BwdParams, support checks (including the GPU:
// sm_90a machine code runs on compute capability 9.0 only), and the PreparedRun that enqueues the forward,
// the backward, or both.
#include "kernels/flash3/flash3_kernel.hpp"

#include <cuda_runtime_api.h>

#include <climits>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/cuda_check.hpp"
#include "core/philox.hpp"
#include "kernels/cuda_arch.hpp"
#include "kernels/family.hpp"
#include "kernels/flash3/flash3_bwd.hpp"
#include "kernels/flash3/flash3_block_lists.hpp"
#include "kernels/flash3/flash3_fwd.hpp"
#include "kernels/flash3/flash3_mask_upload.hpp"

namespace fa {

KernelFamily flash3_family();  // flash3_family.cpp

namespace flash3 {
namespace {

bool fits_int(std::int64_t v) { return v >= 1 && v <= INT_MAX; }

Flash3BwdParams params_for(const Problem& p, const Operands* ops) {
  Flash3BwdParams f;
  problem_shape_into(p, f);
  f.kv_group = static_cast<int>(p.kv_group());
  f.dropout_threshold8 = dropout_threshold8(p.dropout);
  f.dropout_p_used = static_cast<float>(dropout_p_used(p.dropout));
  layout_strides_into(p, f);
  if (ops != nullptr) {
    operands_into(*ops, f);
    f.q_descale = ops->q_descale;  // 1 unless fp8
    f.k_descale = ops->k_descale;
    f.v_descale = ops->v_descale;
  }
  return f;
}

// Why `pass` cannot run these parameters (empty: it can): the forward's rules, and the backward's for
// the passes that include it.
const char* unsupported_reason(const Flash3Params& f, Pass pass) {
  return pass == Pass::fwd ? fwd_unsupported_reason(f) : bwd_unsupported_reason(f);
}

// sm_90a code (wgmma, setmaxnreg) runs on compute capability 9.0 alone.
Support device_support() {
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) {
    (void)cudaGetLastError();
    return Support::no("flash3 needs an NVIDIA Hopper GPU (sm_90: H100/H200); none is visible");
  }
  return require_compute_capability("flash3", device, 9, 0);
}

// Backward-only timing (Pass::bwd) reads O and lse of a forward that runs once here, outside the timed region.
// mask_lists: the block mask's lists the parameters point into (empty when dense).
class Flash3Run final : public PreparedRun {
 public:
  Flash3Run(const Flash3BwdParams& params, Pass pass, const ExecContext& ctx, Buffer mask_lists)
      : params_(params), pass_(pass), stream_(ctx.stream), mask_lists_(std::move(mask_lists)) {
    if (const std::size_t bytes = fwd_workspace_bytes(params_); bytes > 0) {
      fwd_workspace_ = Buffer(*ctx.scratch, bytes, "flash3: forward workspace (fp8 V^T, tile counter)");
      bind_fwd_workspace(params_, fwd_workspace_.get());
    }
    fwd_plan_ = plan_fwd(params_);  // after the workspace: the fp8 V^T map points into it
    if (pass_ == Pass::fwd) return;
    bwd_workspace_ = Buffer(*ctx.scratch, bwd_workspace_bytes(params_), "flash3: backward workspace");
    bwd_plan_ = plan_bwd(params_, bwd_workspace_.get());
    if (pass_ == Pass::bwd) {
      run_fwd(params_, fwd_plan_, stream_);
      FA_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream_)));
    }
  }
  void run() override {
    if (pass_ != Pass::bwd) run_fwd(params_, fwd_plan_, stream_);
    if (pass_ != Pass::fwd) run_bwd(params_, bwd_plan_, stream_);
  }

 private:
  Flash3BwdParams params_;
  Pass pass_;
  Fwd3Plan fwd_plan_;
  Bwd3Plan bwd_plan_;
  void* stream_;
  Buffer fwd_workspace_, bwd_workspace_, mask_lists_;
};

// block_mask: the kernels driven by the point's block mask (the block_sparse family's sm_90 path); else dense only.
class Flash3Kernel final : public AttentionKernel {
 public:
  explicit Flash3Kernel(bool block_mask) : block_mask_(block_mask) {}
  std::string_view name() const override { return "flash3"; }
  std::string_view summary() const override { return flash3_family().summary; }
  Backend backend() const override { return Backend::cuda; }

  Support supports(const Problem& p, Pass pass) const override {
    if (const Support s = mask_support(p); !s.ok) return s;
    if (!p.kv_heads_divide()) return Support::no("flash3 needs K/V heads that divide the query heads");
    if (!fits_int(p.batch) || !fits_int(p.heads) || !fits_int(p.seqlen_q) || !fits_int(p.seqlen_kv)) {
      return Support::no("flash3 needs batch, heads and sequence lengths in [1, 2^31)");
    }
    if (!(p.dropout >= 0.0 && p.dropout < 1.0)) return Support::no("flash3: dropout must be in [0, 1)");
    if (const char* why = unsupported_reason(params_for(p, nullptr), pass); why[0] != '\0') return Support::no(why);
    return device_support();
  }

  std::size_t workspace_bytes(const Problem& p, Pass pass) const override {
    const Flash3BwdParams f = params_for(p, nullptr);
    return fwd_workspace_bytes(f) + (pass == Pass::fwd ? 0 : bwd_workspace_bytes(f)) +
           (block_mask_ ? block_lists_bytes_bound(p, pass) : 0);
  }

  std::unique_ptr<PreparedRun> prepare(const Problem& p, Pass pass, const Operands& ops,
                                       const ExecContext& ctx) override {
    Flash3BwdParams f = params_for(p, &ops);
    // The operands' real pointers and strides are checked here (supports() saw only the layout).
    if (const char* why = unsupported_reason(f, pass); why[0] != '\0') throw std::invalid_argument(why);
    if (const Support s = mask_support(p); !s.ok) throw std::invalid_argument(s.reason);
    Buffer lists = block_mask_ ? upload_block_lists(p, pass, ops, ctx, f) : Buffer{};
    return std::make_unique<Flash3Run>(f, pass, ctx, std::move(lists));
  }

 private:
  // The lists (flash3_block_lists.hpp) index masks per query head and take 128 x 128 multiples.
  Support mask_support(const Problem& p) const {
    if (p.sparsity.is_dense()) return Support::yes();
    if (!block_mask_) return Support::no("flash3: dense attention only (block masks run on block_sparse)");
    if (const char* why = block_mask_unsupported_reason(params_for(p, nullptr)); why[0] != '\0')
      return Support::no(why);
    const std::string why = flash3_mask_blocks_unsupported(p.sparsity.block_q, p.sparsity.block_k);
    return why.empty() ? Support::yes() : Support::no(why);
  }

  bool block_mask_;
};

}  // namespace
}  // namespace flash3

std::unique_ptr<AttentionKernel> make_flash3_kernel() { return std::make_unique<flash3::Flash3Kernel>(false); }

std::unique_ptr<AttentionKernel> make_flash3_block_mask_kernel() {
  return std::make_unique<flash3::Flash3Kernel>(true);
}

FamilyBuild flash3_build() {
  return {.factory = &make_flash3_kernel,
          .usable_on = [](int device) { return require_compute_capability("flash3", device, 9, 0); }};
}

}  // namespace fa
