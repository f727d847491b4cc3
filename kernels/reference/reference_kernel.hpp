#pragma once
#include <memory>

#include "core/kernel.hpp"

namespace fa {

// The float64 CPU reference run through the same interface as the GPU kernels, so that a machine
// with no GPU still runs real sweeps (slowly: it is a reference, not a CPU kernel).
std::unique_ptr<AttentionKernel> make_reference_kernel();

}  // namespace fa
