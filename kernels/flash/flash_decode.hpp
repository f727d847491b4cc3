#pragma once
// The split-K/V decode forward of the flash family (flash_decode_kernel.cuh): the current device as
// the plan sees it, and the launch. Host-only header; the decision itself is flash_decode_plan.hpp.
#include <cstddef>
#include <string>

#include "kernels/flash/flash_decode_plan.hpp"
#include "kernels/flash/flash_params.hpp"

#ifdef __CUDACC__
#include <cuda_runtime_api.h>
#endif

namespace fa::flash {

// SM count and shared memory per SM of the current CUDA device; the plan's defaults (an H100/H200)
// when no device answers (a dry run on a machine without a GPU).
DecodeDevice current_decode_device();

// FA_FLASH_DECODE: unset or "auto", the plan decides; "off", every point takes the normal path (to
// measure the split forward against it at the same points; the IO model still assumes the split).
// What is wrong with its value ("" when it is fine), for supports().
std::string decode_switch_error();

// The plan for the current device (the normal path under FA_FLASH_DECODE=off, and under a bad value,
// which supports() refuses: estimates and notes asked before it still get an answer).
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
