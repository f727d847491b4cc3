// block_sparse = flash3's kernels driven by the block mask where flash3 runs the point (an sm_90 GPU, its head
// dims, mask blocks of 128 x 128 multiples), else flash's (see block_sparse_kernel.hpp).
#include "kernels/block_sparse/block_sparse_kernel.hpp"

#include <cstdlib>
#include <string>

#include "kernels/block_sparse/block_sparse_family.hpp"
#include "kernels/families_built.hpp"
#include "kernels/flash/flash_kernel.hpp"
#if FA_FAMILY_FLASH3
#include "kernels/flash3/flash3_kernel.hpp"
#endif

namespace fa {
namespace {

// The flash kernels with the block mask passed through.
class FlashBlockMask final : public flash::FlashKernel {
 public:
  std::string_view name() const override { return block_sparse_family().name; }

 protected:
  bool takes_block_mask() const override { return true; }
};

// FA_BLOCK_SPARSE_FLASH3: unset, 1 or on: flash3 where it runs the point; 0 or off: flash always (A/B runs, and
// the flash path's tests on an sm_90 GPU). Anything else: the reason every point is refused.
struct Flash3Switch {
  bool on = true;
  std::string error;
};

Flash3Switch flash3_switch() {
  const char* v = std::getenv("FA_BLOCK_SPARSE_FLASH3");
  const std::string s = v == nullptr ? "" : v;
  if (s.empty() || s == "1" || s == "on") return {};
  if (s == "0" || s == "off") return {false, ""};
  return {false, "FA_BLOCK_SPARSE_FLASH3=" + s + ": accepted values are 1, on, 0, off"};
}

class BlockSparseKernel final : public AttentionKernel {
 public:
  std::string_view name() const override { return block_sparse_family().name; }
  std::string_view summary() const override { return block_sparse_family().summary; }
  Backend backend() const override { return Backend::cuda; }

  // The flash kernels take grouped K/V heads, but the block-mask path has not been checked with
  // them on a GPU: refused until it is.
  Support supports(const Problem& p, Pass pass) const override {
    if (const Support s = refuse_grouped_kv(name(), p); !s.ok) return s;
    if (const Flash3Switch sw = flash3_switch(); !sw.error.empty()) return Support::no(sw.error);
    if (flash3_refusal(p, pass).empty()) return Support::yes();
    return flash_.supports(p, pass);
  }
  std::size_t workspace_bytes(const Problem& p, Pass pass) const override {
    return pick(p, pass).workspace_bytes(p, pass);
  }
  // Which kernels run the point, and why not flash3 when flash's do.
  std::string point_note(const Problem& p, Pass pass) const override {
    const std::string why = flash3_refusal(p, pass);
    return why.empty() ? "block_sparse ran flash3" : "block_sparse ran flash (" + why + ")";
  }
  std::unique_ptr<PreparedRun> prepare(const Problem& p, Pass pass, const Operands& ops,
                                       const ExecContext& ctx) override {
    return pick(p, pass).prepare(p, pass, ops, ctx);
  }

 private:
  // Why flash3 does not run the point ("" when it does).
  std::string flash3_refusal(const Problem& p, Pass pass) const {
    if (!flash3_) return "flash3 is not built";
    if (!flash3_switch().on) return "FA_BLOCK_SPARSE_FLASH3 off";
    if (const Support s = refuse_varlen(name(), p); !s.ok) return s.reason;
    const Support s = flash3_->supports(p, pass);
    return s.ok ? "" : s.reason;
  }
  AttentionKernel& pick(const Problem& p, Pass pass) const {
    return flash3_refusal(p, pass).empty() ? *flash3_ : static_cast<AttentionKernel&>(flash_);
  }

  mutable FlashBlockMask flash_;
#if FA_FAMILY_FLASH3
  std::unique_ptr<AttentionKernel> flash3_ = make_flash3_block_mask_kernel();
#else
  std::unique_ptr<AttentionKernel> flash3_;
#endif
};

}  // namespace

std::unique_ptr<AttentionKernel> make_block_sparse_kernel() { return std::make_unique<BlockSparseKernel>(); }

FamilyBuild block_sparse_build() { return {.factory = &make_block_sparse_kernel}; }

}  // namespace fa
