#pragma once
// The `flash` family: FlashAttention-2 style fused forward (flash_fwd*.cu) and backward
// (flash_bwd*.cu) behind the AttentionKernel interface. FlashKernel is also the base of the
// `block_sparse` family (kernels/block_sparse), which is the same kernels driven by a block mask.
#include <memory>
#include <string>
#include <string_view>

#include "core/kernel.hpp"
#include "kernels/flash/flash_decode_plan.hpp"
#include "kernels/flash/flash_family.hpp"
#include "kernels/flash/flash_params.hpp"

namespace fa {

std::unique_ptr<AttentionKernel> make_flash_kernel();

namespace flash {

// Launch parameters of a point; pointers are taken from ops when given (null ops: shapes and strides
// only, enough for the unsupported-reason checks). use_mask: take the block-mask geometry from the
// problem's sparsity and the mask pointer from ops.
FlashBwdParams params_for(const Problem& p, const Operands* ops, bool use_mask);

class FlashKernel : public AttentionKernel {
 public:
  std::string_view name() const override { return flash_family().name; }
  std::string_view summary() const override { return flash_family().summary; }
  Backend backend() const override { return Backend::cuda; }
  Support supports(const Problem& p, Pass pass) const override;
  std::size_t workspace_bytes(const Problem& p, Pass pass) const override;
  // Whether the forward runs split-K/V (flash_decode_plan.hpp) and with how many chunks.
  std::string point_note(const Problem& p, Pass pass) const override;
  std::unique_ptr<PreparedRun> prepare(const Problem& p, Pass pass, const Operands& ops,
                                       const ExecContext& ctx) override;

 protected:
  // block_sparse overrides this to pass the block mask through.
  virtual bool takes_block_mask() const { return false; }

 private:
  DecodeShape decode_shape_of(const Problem& p) const;
};

}  // namespace flash
}  // namespace fa
