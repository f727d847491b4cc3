// The ring steps' kernel choice (ring_step_choice.hpp).
#include "kernels/ring/ring_step_choice.hpp"

#include <utility>

#include "kernels/cuda_arch.hpp"
#include "kernels/ring/ring_env.hpp"
#include "kernels/families_built.hpp"

#if FA_FAMILY_FLASH3
#include "kernels/flash3/flash3_calls.hpp"
#endif

namespace fa::ring {

std::string_view to_string(StepKernel k) { return k == StepKernel::flash3 ? "flash3" : "flash"; }

std::optional<StepKernel> step_kernel_from_environment() {
  return choice_from_environment<StepKernel>("FA_RING_STEPS",
                                             {{"flash3", StepKernel::flash3}, {"flash", StepKernel::flash}},
                                             kStepKernelNames, "flash3 where it runs, else flash");
}

namespace {

// Why flash3 cannot run the steps on any of `devices` (empty when it can): built, sm_90 everywhere.
std::string flash3_device_reason(const std::vector<int>& devices) {
#if FA_FAMILY_FLASH3
  if (devices.empty()) return "flash3: no CUDA device visible";
  for (int device : devices) {
    if (const Support s = require_compute_capability("flash3", device, 9, 0); !s.ok) return s.reason;
  }
  return "";
#else
  (void)devices;
  return "flash3 is not in this build";
#endif
}

// Why flash3 cannot run the steps' shapes (empty when it can).
std::string flash3_shape_reason(const flash::FlashParams& shard, bool backward) {
#if FA_FAMILY_FLASH3
  return flash3::unsupported_reason_for(shard, backward);
#else
  (void)shard, (void)backward;
  return "flash3 is not in this build";
#endif
}

}  // namespace

StepKernels choose_step_kernels(std::optional<StepKernel> requested, const flash::FlashParams& shard, Pass pass,
                                const std::vector<int>& devices) {
  StepKernels k;
  if (requested == StepKernel::flash) {
    k.why_not_flash3 = "FA_RING_STEPS=flash";
    return k;
  }
  if (std::string why = flash3_device_reason(devices); !why.empty()) {
    k.why_not_flash3 = std::move(why);
    return k;
  }
  if (std::string why = flash3_shape_reason(shard, false); !why.empty()) {
    k.why_not_flash3 = std::move(why);
    return k;
  }
  k.forward = StepKernel::flash3;
  if (pass == Pass::fwd) return k;
  if (std::string why = flash3_shape_reason(shard, true); !why.empty()) {
    k.why_not_flash3 = std::move(why);
    return k;
  }
  k.backward = StepKernel::flash3;
  return k;
}

std::string step_kernels_unsupported_reason(std::optional<StepKernel> requested, const StepKernels& chosen,
                                            Pass pass) {
  if (requested != StepKernel::flash3) return "";
  const bool all = chosen.forward == StepKernel::flash3 && (pass == Pass::fwd || chosen.backward == StepKernel::flash3);
  if (all) return "";
  return "ring: FA_RING_STEPS=flash3, but " + chosen.why_not_flash3 + " (unset FA_RING_STEPS to run flash there)";
}

std::string step_note(const StepKernels& k, Pass pass) {
  std::string note = "ring steps: ";
  if (pass == Pass::fwd) {
    note += std::string(to_string(k.forward)) + " forward";
  } else if (k.forward == k.backward) {
    note += std::string(to_string(k.forward)) + " forward and backward";
  } else {
    note += std::string(to_string(k.forward)) + " forward, " + std::string(to_string(k.backward)) + " backward";
  }
  if (!k.why_not_flash3.empty()) note += " (" + k.why_not_flash3 + ")";
  return note;
}

std::size_t step_fwd_workspace_bytes(const StepKernels& k, const flash::FlashParams& shard) {
#if FA_FAMILY_FLASH3
  if (k.forward == StepKernel::flash3) return flash3::fwd_workspace_bytes_for(shard);
#endif
  (void)k, (void)shard;
  return 0;  // flash's forward takes no scratch
}

std::size_t step_bwd_workspace_bytes(const StepKernels& k, const flash::FlashParams& shard) {
#if FA_FAMILY_FLASH3
  if (k.backward == StepKernel::flash3) return flash3::bwd_workspace_bytes_for(shard);
#endif
  (void)k;
  return flash::flash_bwd_workspace_bytes(shard);
}

}  // namespace fa::ring
