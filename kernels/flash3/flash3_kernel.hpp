#pragma once
// The `flash3` family: FlashAttention-3 style kernels for Hopper (sm_90a: TMA, wgmma, warp
// specialisation, ping-pong scheduling) behind the AttentionKernel interface.
#include <memory>

#include "core/kernel.hpp"

namespace fa {

std::unique_ptr<AttentionKernel> make_flash3_kernel();

}  // namespace fa
