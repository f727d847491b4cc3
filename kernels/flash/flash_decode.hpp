#pragma once
// The split-K/V decode forward of the flash family (flash_decode_kernel.cuh): the current device as
// the plan sees it, and the launch. Host-only header; the decision itself is flash_decode_plan.hpp.
#include <cstddef>

#include "kernels/flash/flash_decode_plan.hpp"
#include "kernels/flash/flash_params.hpp"

#ifdef __CUDACC__
#include <cuda_runtime_api.h>
#endif

namespace fa::flash {

// SM count and shared memory per SM of the current CUDA device; the plan's defaults (an H100/H200)
// when no device answers (a dry run on a machine without a GPU).
DecodeDevice current_decode_device();

// The plan for the current device.
DecodePlan decode_plan(const DecodeShape& s);

// Runs the forward of a split plan: writes p.o and p.lse. `workspace`: decode_workspace_bytes of
// the plan (unused with one chunk). `stream` is a cudaStream_t.
void flash_decode_fwd(const FlashParams& p, const DecodePlan& plan, void* workspace, void* stream);

struct DecodeArgs;
#ifdef __CUDACC__
template <int D>
void launch_flash_decode_hdim(const FlashParams& p, const DecodeArgs& a, int row_tiles, cudaStream_t stream);
#endif

}  // namespace fa::flash
