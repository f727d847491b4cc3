#pragma once
// The `block_sparse` family: attention kernels driven by a block mask. A (query tile, key tile) pair
// whose mask block is 0 is skipped before it is loaded, so time and traffic scale with the mask density.
// On an sm_90 GPU it runs flash3's forward and backward (kernels/flash3, make_flash3_block_mask_kernel) where
// flash3's block-mask instances take the point (head dims 64/128, fp16/bf16, no dropout, mask blocks of 128 x 128
// multiples: flash3_fwd.hpp block_mask_unsupported_reason); elsewhere flash's (kernels/flash), whose
// mask blocks must be multiples of its 128 x 64 tile. A row's notes say which ran; FA_BLOCK_SPARSE_FLASH3=0
// runs flash's everywhere.
#include <memory>

#include "core/kernel.hpp"

namespace fa {

std::unique_ptr<AttentionKernel> make_block_sparse_kernel();

}  // namespace fa
