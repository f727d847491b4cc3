#include "kernels/reference/reference_kernel.hpp"

#include <cmath>

#include "core/flops.hpp"
#include "kernels/reference/reference_family.hpp"
#include "reference/attention.hpp"

namespace fa {
namespace {

class ReferenceRun final : public PreparedRun {
 public:
  ReferenceRun(const Problem& p, Pass pass, const Operands& ops, BlockMask mask, bool has_mask)
      : p_(p), pass_(pass), ops_(ops), mask_(std::move(mask)), has_mask_(has_mask) {
    cfg_ = ref::config_for(p_, has_mask_ ? &mask_ : nullptr);
    if (pass_ == Pass::bwd) forward();  // backward-only timing needs O and lse first (untimed)
  }
  void run() override {
    if (pass_ != Pass::bwd) forward();
    if (pass_ != Pass::fwd) backward();
  }

 private:
  static double* d(const TensorRef& t) { return static_cast<double*>(t.data); }
  void forward() { ref::forward(cfg_, d(ops_.q), d(ops_.k), d(ops_.v), d(ops_.o), static_cast<double*>(ops_.lse)); }
  void backward() {
    ref::backward(cfg_, d(ops_.q), d(ops_.k), d(ops_.v), d(ops_.o), static_cast<double*>(ops_.lse), d(ops_.dout),
                  d(ops_.dq), d(ops_.dk), d(ops_.dv));
  }
  Problem p_;
  Pass pass_;
  Operands ops_;
  BlockMask mask_;
  bool has_mask_;
  ref::Config cfg_;
};

class ReferenceKernel final : public AttentionKernel {
 public:
  std::string_view name() const override { return reference_family().name; }
  std::string_view summary() const override { return reference_family().summary; }
  Backend backend() const override { return Backend::host; }
  Support supports(const Problem& p, Pass) const override {
    // A varlen batch's host operands are the reference's own per-sequence form (measure/operands.hpp).
    if (p.layout != Layout::bhnd && !p.is_varlen()) return Support::no("reference takes the bhnd layout only");
    if (!p.kv_heads_divide()) return Support::no("reference: K/V heads must divide the query heads");
    // Refuse points that would take minutes on a CPU: ~1e10 multiply-adds.
    const double work = dense_forward_flops(p) / 4.0;  // multiply-adds of one matmul, per sequence when varlen
    if (work > 2.5e9) return Support::no("too large for the CPU reference (B*H*Nq*Nk*D > 2.5e9)");
    return Support::yes();
  }
  std::size_t workspace_bytes(const Problem&, Pass) const override { return 0; }
  std::unique_ptr<PreparedRun> prepare(const Problem& p, Pass pass, const Operands& ops,
                                       const ExecContext&) override {
    BlockMask mask;
    const bool has_mask = ops.block_mask != nullptr;
    if (has_mask) {
      mask.heads = ops.mask_heads;
      mask.blocks_q = ops.mask_blocks_q;
      mask.blocks_k = ops.mask_blocks_k;
      mask.block_q = p.sparsity.block_q;
      mask.block_k = p.sparsity.block_k;
      mask.bits.assign(ops.block_mask, ops.block_mask + mask.heads * mask.blocks_q * mask.blocks_k);
    }
    return std::make_unique<ReferenceRun>(p, pass, ops, std::move(mask), has_mask);
  }
};

}  // namespace

std::unique_ptr<AttentionKernel> make_reference_kernel() { return std::make_unique<ReferenceKernel>(); }

FamilyBuild reference_build() { return {.factory = &make_reference_kernel}; }

}  // namespace fa
