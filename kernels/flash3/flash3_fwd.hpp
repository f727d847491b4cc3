#pragma once
// Host entry points of the flash3 forward (sm_90a). A plan holds what a launch needs besides the
// parameters (tensor maps, grid size); it is built once per point, outside any timed region, so a timed
// launch is one kernel with no host work in front of it.
#include <cuda.h>

#include <cstddef>

#include "kernels/flash3/flash3_params.hpp"

namespace fa::flash3 {

struct Fwd3Plan {
  CUtensorMap q{}, k{}, v{}, o{};
  int grid = 0;
};

// Empty string when the forward handles the parameters (shapes, dtype, strides, alignment); else why not.
const char* fwd_unsupported_reason(const Flash3Params& p);

// Empty string when the block-mask instances (flash3_fwd_d<D>_mask.cu, flash3_bwd_d<D>_mask.cu) cover the
// parameters; else why not. They are built for what block_sparse runs most only: head dims 64 and 128,
// fp16/bf16, no dropout, one query head per K/V head (compile time; block_sparse runs flash's kernels elsewhere).
const char* block_mask_unsupported_reason(const Flash3Params& p);

// Builds the plan for `p` on the current device. Throws std::invalid_argument when unsupported.
Fwd3Plan plan_fwd(const Flash3Params& p);

// Scratch the forward needs: the causal tile counter (p.tile_counter points into it).
inline std::size_t fwd_workspace_bytes(const Flash3Params& p) { return p.causal ? 256 : 0; }

// Enqueues one forward on `stream` (a cudaStream_t).
void run_fwd(const Flash3Params& p, const Fwd3Plan& plan, void* stream);

// Per head dim: box shapes of the plan's maps and the launch (defined in flash3_fwd_d<D>.cu). kHasFp8: the head
// dim has e4m3 instances (64, 128, 256); fwd_geometry(true) is all zeros where it has none.
struct Fwd3Geometry {
  int swizzle_cols = 0, block_m = 0, block_n = 0, threads = 0, smem_bytes = 0, elem_bytes = 0;
};
template <int D, bool kHasFp8>
Fwd3Geometry fwd_geometry(bool fp8);
template <int D, bool kHasFp8>
void launch_fwd(const Flash3Params& p, const Fwd3Plan& plan, void* stream);
// Head dims 64 and 128: the block-mask instances (flash3_fwd_d<D>_mask.cu).
template <int D>
void launch_fwd_block_mask(const Flash3Params& p, const Fwd3Plan& plan, void* stream);

}  // namespace fa::flash3
