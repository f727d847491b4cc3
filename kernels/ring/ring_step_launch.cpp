// The planned launches of a ring point's steps (ring_step_launch.hpp).
#include "kernels/ring/ring_step_launch.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "kernels/families_built.hpp"

#if FA_FAMILY_FLASH3
#include "kernels/flash3/flash3_calls.hpp"
#endif

namespace fa::ring {

#if FA_FAMILY_FLASH3
struct StepLaunches::Flash3Calls {
  std::vector<std::optional<flash3::Fwd3Call>> fwd;
  std::vector<std::optional<flash3::Bwd3Call>> bwd;
};
#else
struct StepLaunches::Flash3Calls {};
#endif

namespace {

bool uses_flash3(const StepKernels& k) { return k.forward == StepKernel::flash3 || k.backward == StepKernel::flash3; }

[[noreturn]] void unplanned(const char* what, int r, int s) {
  throw std::logic_error(std::string("ring: the ") + what + " of step " + std::to_string(s) + " on GPU " +
                         std::to_string(r) + " of the ring was not planned in prepare()");
}

}  // namespace

StepLaunches::StepLaunches(StepKernels kernels, int ranks)
    : kernels_(std::move(kernels)),
      ranks_(ranks),
      fwd_(static_cast<std::size_t>(ranks) * ranks),
      bwd_(fwd_.size()),
      bwd_workspace_(fwd_.size(), nullptr),
      fwd_planned_(fwd_.size(), false),
      bwd_planned_(fwd_.size(), false) {
  if (!uses_flash3(kernels_)) return;
#if FA_FAMILY_FLASH3
  flash3_ = std::make_unique<Flash3Calls>();
  flash3_->fwd.resize(fwd_.size());
  flash3_->bwd.resize(fwd_.size());
#else
  throw std::logic_error("ring: flash3 steps chosen in a build without flash3");
#endif
}

StepLaunches::~StepLaunches() = default;

std::size_t StepLaunches::at(int r, int s) const {
  if (r < 0 || r >= ranks_ || s < 0 || s >= ranks_) {
    throw std::logic_error("ring: step " + std::to_string(s) + " of GPU " + std::to_string(r) +
                           " is outside a ring of " + std::to_string(ranks_));
  }
  return static_cast<std::size_t>(r) * ranks_ + s;
}

void StepLaunches::plan_forward(int r, int s, const flash::FlashParams& f, void* fwd_workspace) {
  const std::size_t i = at(r, s);
#if FA_FAMILY_FLASH3
  if (kernels_.forward == StepKernel::flash3) flash3_->fwd[i].emplace(f, fwd_workspace);
#endif
  (void)fwd_workspace;  // flash's forward takes none
  fwd_[i] = f;
  fwd_planned_[i] = true;
}

void StepLaunches::plan_backward(int r, int s, const flash::FlashBwdParams& b, void* bwd_workspace,
                                 std::size_t bwd_bytes) {
  const std::size_t i = at(r, s);
#if FA_FAMILY_FLASH3
  if (kernels_.backward == StepKernel::flash3) flash3_->bwd[i].emplace(b, bwd_workspace, bwd_bytes);
#endif
  (void)bwd_bytes;  // flash's backward: sized by the caller from flash_bwd_workspace_bytes of the whole shard
  bwd_[i] = b;
  bwd_workspace_[i] = bwd_workspace;
  bwd_planned_[i] = true;
}

void StepLaunches::forward(int r, int s, cudaStream_t stream) const {
  const std::size_t i = at(r, s);
  if (!fwd_planned_[i]) unplanned("forward", r, s);
#if FA_FAMILY_FLASH3
  if (kernels_.forward == StepKernel::flash3) {
    flash3_->fwd[i]->enqueue(stream);
    return;
  }
#endif
  flash::flash_fwd(fwd_[i], stream);
}

void StepLaunches::backward(int r, int s, cudaStream_t stream) const {
  const std::size_t i = at(r, s);
  if (!bwd_planned_[i]) unplanned("backward", r, s);
#if FA_FAMILY_FLASH3
  if (kernels_.backward == StepKernel::flash3) {
    flash3_->bwd[i]->enqueue(stream);
    return;
  }
#endif
  flash::flash_bwd(bwd_[i], bwd_workspace_[i], stream);
}

}  // namespace fa::ring
