#pragma once
// The `block_sparse` family: the flash kernels (kernels/flash) driven by a block mask. A K/V tile
// whose mask block is 0 for the query tile is skipped before it is loaded, so time and traffic
// scale with the mask density. Mask blocks must be multiples of the flash tile (128 x 64).
#include <memory>

#include "core/kernel.hpp"

namespace fa {

std::unique_ptr<AttentionKernel> make_block_sparse_kernel();

}  // namespace fa
