#pragma once
// The point's block mask as the flash3 kernels read it: the mask bytes brought to the host, turned into the
// kept-pair lists (flash3_block_lists.hpp) and uploaded into scratch, once per point in prepare().
#include "core/allocator.hpp"
#include "core/kernel.hpp"
#include "kernels/flash3/flash3_params.hpp"

namespace fa::flash3 {

// Bytes the lists of `p` take at most (every pair kept, one mask per head), for workspace_bytes().
std::size_t block_lists_bytes_bound(const Problem& p, Pass pass);

// Builds and uploads the lists of ops.block_mask (a device pointer; null: dense, nothing to do) on ctx's stream,
// and points f's mask fields at them. The returned buffer must outlive every launch with f.
Buffer upload_block_lists(const Problem& p, Pass pass, const Operands& ops, const ExecContext& ctx, Flash3Params& f);

}  // namespace fa::flash3
