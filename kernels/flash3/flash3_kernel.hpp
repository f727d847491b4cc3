#pragma once
// The `flash3` family: FlashAttention-3 style kernels for Hopper (sm_90a: TMA, wgmma, warp
// specialisation, ping-pong scheduling) behind the AttentionKernel interface.
#include <memory>

#include "core/kernel.hpp"

namespace fa {

std::unique_ptr<AttentionKernel> make_flash3_kernel();
// The same kernels driven by the point's block mask (Operands::block_mask; null runs dense): kept (query tile, key
// block) pairs only, listed once per point in prepare(). The block_sparse family runs it on sm_90.
std::unique_ptr<AttentionKernel> make_flash3_block_mask_kernel();

}  // namespace fa
