// Host glue of the flash3 family: Problem + Operands -> Flash3Params, support checks (including the GPU:
// sm_90a machine code runs on compute capability 9.0 only), and the PreparedRun that enqueues the forward.
#include "kernels/flash3/flash3_kernel.hpp"

#include <cuda_runtime_api.h>

#include <climits>
#include <stdexcept>
#include <string>

#include "core/cuda_check.hpp"
#include "core/philox.hpp"
#include "kernels/cuda_arch.hpp"
#include "kernels/family.hpp"
#include "kernels/flash3/flash3_fwd.hpp"

namespace fa {
namespace flash3 {
namespace {

bool fits_int(std::int64_t v) { return v >= 1 && v <= INT_MAX; }

Flash3Params params_for(const Problem& p, const Operands* ops) {
  Flash3Params f;
  f.batch = static_cast<int>(p.batch);
  f.heads = static_cast<int>(p.heads);
  f.seqlen_q = static_cast<int>(p.seqlen_q);
  f.seqlen_kv = static_cast<int>(p.seqlen_kv);
  f.head_dim = static_cast<int>(p.head_dim);
  f.dtype = p.dtype;
  f.scale = static_cast<float>(p.scale());
  f.causal = p.causal;
  f.dropout_threshold8 = dropout_threshold8(p.dropout);
  f.dropout_p_used = static_cast<float>(dropout_p_used(p.dropout));
  f.seed = p.seed;
  const Strides sq = strides_for(p.layout, p.heads, p.seqlen_q, p.head_dim);
  const Strides sk = strides_for(p.layout, p.heads, p.seqlen_kv, p.head_dim);
  f.q_stride_b = f.o_stride_b = sq.b;
  f.q_stride_h = f.o_stride_h = sq.h;
  f.q_stride_n = f.o_stride_n = sq.n;
  f.k_stride_b = f.v_stride_b = sk.b;
  f.k_stride_h = f.v_stride_h = sk.h;
  f.k_stride_n = f.v_stride_n = sk.n;
  if (ops == nullptr) return f;
  f.q = ops->q.data;
  f.k = ops->k.data;
  f.v = ops->v.data;
  f.o = ops->o.data;
  f.lse = static_cast<float*>(ops->lse);
  copy_strides(ops->q, f.q_stride_b, f.q_stride_h, f.q_stride_n);
  copy_strides(ops->k, f.k_stride_b, f.k_stride_h, f.k_stride_n);
  copy_strides(ops->v, f.v_stride_b, f.v_stride_h, f.v_stride_n);
  copy_strides(ops->o, f.o_stride_b, f.o_stride_h, f.o_stride_n);
  return f;
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

class Flash3Run final : public PreparedRun {
 public:
  Flash3Run(const Flash3Params& params, const ExecContext& ctx)
      : params_(params), plan_(plan_fwd(params)), stream_(ctx.stream) {
    if (const std::size_t bytes = fwd_workspace_bytes(params_); bytes > 0) {
      workspace_ = Buffer(*ctx.scratch, bytes, "flash3: tile counter");
      params_.tile_counter = static_cast<int*>(workspace_.get());
    }
  }
  void run() override { run_fwd(params_, plan_, stream_); }

 private:
  Flash3Params params_;
  Fwd3Plan plan_;
  void* stream_;
  Buffer workspace_;
};

class Flash3Kernel final : public AttentionKernel {
 public:
  std::string_view name() const override { return "flash3"; }
  std::string_view summary() const override {
    return "Hopper FlashAttention-3 style: TMA, wgmma, warp-specialised ping-pong (sm_90a)";
  }
  Backend backend() const override { return Backend::cuda; }

  Support supports(const Problem& p, Pass pass) const override {
    if (pass != Pass::fwd) return Support::no("flash3: backward not implemented yet (forward only)");
    if (!p.sparsity.is_dense()) return Support::no("flash3: dense attention only (block masks run on block_sparse)");
    if (!fits_int(p.batch) || !fits_int(p.heads) || !fits_int(p.seqlen_q) || !fits_int(p.seqlen_kv)) {
      return Support::no("flash3 needs batch, heads and sequence lengths in [1, 2^31)");
    }
    if (!(p.dropout >= 0.0 && p.dropout < 1.0)) return Support::no("flash3: dropout must be in [0, 1)");
    if (const char* why = fwd_unsupported_reason(params_for(p, nullptr)); why[0] != '\0') return Support::no(why);
    return device_support();
  }

  std::size_t workspace_bytes(const Problem& p, Pass) const override {
    return fwd_workspace_bytes(params_for(p, nullptr));
  }

  std::unique_ptr<PreparedRun> prepare(const Problem& p, Pass pass, const Operands& ops,
                                       const ExecContext& ctx) override {
    if (pass != Pass::fwd) throw std::invalid_argument("flash3: backward not implemented yet (forward only)");
    const Flash3Params f = params_for(p, &ops);
    // The operands' real pointers and strides are checked here (supports() saw only the layout).
    if (const char* why = fwd_unsupported_reason(f); why[0] != '\0') throw std::invalid_argument(why);
    return std::make_unique<Flash3Run>(f, ctx);
  }
};

}  // namespace
}  // namespace flash3

std::unique_ptr<AttentionKernel> make_flash3_kernel() { return std::make_unique<flash3::Flash3Kernel>(); }

FamilyBuild flash3_build() {
  return {.factory = &make_flash3_kernel,
          .usable_on = [](int device) { return require_compute_capability("flash3", device, 9, 0); }};
}

}  // namespace fa
