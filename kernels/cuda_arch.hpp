#pragma once
// For a family's FamilyBuild::usable_on (kernels/family.hpp): whether a CUDA device is of the
// compute capability the family's kernels were built for. Architecture-specific code (sm_90a:
// wgmma, TMA, setmaxnreg) runs on that exact capability only.
#include <string_view>

#include "core/kernel.hpp"

namespace fa {

// yes when device `device` has compute capability major.minor; otherwise why not, naming the
// family, the capability it needs and the device's ("flash3 needs an sm_90 GPU; device 0 is sm_80").
Support require_compute_capability(std::string_view family, int device, int major, int minor);

}  // namespace fa
