#pragma once
// Which flash kernels a ring point's steps launch: flash3's (Hopper: TMA, wgmma) where it is built, every GPU of
// the ring is sm_90 and flash3 takes the shard's shape, else flash's (kernels/flash), for the forward and the
// backward separately (flash3's backward has no D = 256, where its forward still runs). Chosen once per point, in
// prepare(), and stated in the row's notes (RingKernel::point_note).
//
// FA_RING_STEPS=flash keeps every step on flash (to compare the two on a Hopper machine); FA_RING_STEPS=flash3
// makes a point that cannot run flash3 unsupported with the reason rather than quietly falling back. Read when
// the kernel object is created, like FA_RING_GPUS; a bad value makes supports() say why.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/problem.hpp"
#include "kernels/flash/flash_params.hpp"

namespace fa::ring {

enum class StepKernel : std::uint8_t { flash, flash3 };
std::string_view to_string(StepKernel k);
inline constexpr std::string_view kStepKernelNames = "flash3, flash";

// FA_RING_STEPS: nullopt when unset or empty (the fastest that runs), else the kernel named. Any other value
// throws std::invalid_argument naming the variable and the accepted values.
std::optional<StepKernel> step_kernel_from_environment();

struct StepKernels {
  StepKernel forward = StepKernel::flash;
  StepKernel backward = StepKernel::flash;
  std::string why_not_flash3;  // why a pass the point runs is on flash; empty when none is
};

// The choice for a point whose steps run on windows of `shard` (the flash parameters of a whole shard,
// shard_flash_params(): a window is a row range of it and asks flash3 for nothing more) on the ring's
// `devices`. `pass`: the backward is chosen only when the point runs one (Pass::bwd runs the forward too,
// in prepare). requested flash: flash for both; requested flash3 or nullopt: flash3 where it can.
StepKernels choose_step_kernels(std::optional<StepKernel> requested, const flash::FlashParams& shard, Pass pass,
                                const std::vector<int>& devices);

// Why FA_RING_STEPS=flash3 cannot run a point with this choice (empty when it can or when nothing is requested).
std::string step_kernels_unsupported_reason(std::optional<StepKernel> requested, const StepKernels& chosen,
                                            Pass pass);

// The row's note: "ring steps: flash3 forward and backward", "ring steps: flash3 forward, flash backward
// (flash3 backward head dims: ...)", "ring steps: flash forward (flash3 needs an sm_90 GPU; ...)".
std::string step_note(const StepKernels& k, Pass pass);

// Scratch of one GPU for the chosen kernels on windows of `shard` (the whole shard is the largest window):
// the forward's (flash3's causal tile counter; flash: none) and the backward's.
std::size_t step_fwd_workspace_bytes(const StepKernels& k, const flash::FlashParams& shard);
std::size_t step_bwd_workspace_bytes(const StepKernels& k, const flash::FlashParams& shard);

}  // namespace fa::ring
