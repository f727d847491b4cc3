// block_sparse = FlashKernel with the block mask passed through (see block_sparse_kernel.hpp).
#include "kernels/block_sparse/block_sparse_kernel.hpp"

#include "kernels/block_sparse/block_sparse_family.hpp"
#include "kernels/flash/flash_kernel.hpp"

namespace fa {
namespace {

class BlockSparseKernel final : public flash::FlashKernel {
 public:
  std::string_view name() const override { return block_sparse_family().name; }
  std::string_view summary() const override { return block_sparse_family().summary; }
  // The flash kernels take grouped K/V heads, but the block-mask path has not been checked with
  // them on a GPU: refused until it is.
  Support supports(const Problem& p, Pass pass) const override {
    if (const Support s = refuse_grouped_kv(name(), p); !s.ok) return s;
    return FlashKernel::supports(p, pass);
  }

 protected:
  bool takes_block_mask() const override { return true; }
};

}  // namespace

std::unique_ptr<AttentionKernel> make_block_sparse_kernel() { return std::make_unique<BlockSparseKernel>(); }

FamilyBuild block_sparse_build() { return {.factory = &make_block_sparse_kernel}; }

}  // namespace fa
