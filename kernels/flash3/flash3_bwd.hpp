#pragma once
// Host entry points of the flash3 backward (sm_90a): the flash family's preprocess, the flash3 main kernel
// (flash3_bwd_kernel.cuh) and the flash family's postprocess, on one stream. A plan holds the tensor maps
// and the grid; it is built once per point (it needs the workspace), outside any timed region.
#include <cuda.h>

#include <cstddef>

#include "kernels/flash3/flash3_params.hpp"

namespace fa::flash3 {

// The main kernel's TMA tensor maps, passed as one __grid_constant__ parameter.
struct Bwd3Maps {
  CUtensorMap q{}, k{}, v{}, dout{};
  CUtensorMap k_dq{};      // K as dQ = dS K reads it (flash3_tiles.hpp)
  CUtensorMap dq_accum{};  // fp32 accumulator, for TMA reduce-adds
  CUtensorMap dk{}, dv{};  // stores of 64-key slices
};

struct Bwd3Plan {
  Bwd3Maps maps;
  unsigned grid = 0;
  void* workspace = nullptr;
};

// Empty string when the backward handles the parameters (shapes, dtype, dropout, strides, alignment); else why not.
const char* bwd_unsupported_reason(const Flash3Params& p);

// Scratch the backward needs: fp32 dQ accumulator, lse2 and dPsum (the flash family's backward workspace).
std::size_t bwd_workspace_bytes(const Flash3Params& p);

// Builds the plan for `p` on the current device with `workspace` (bwd_workspace_bytes(p) bytes).
// Throws std::invalid_argument when unsupported.
Bwd3Plan plan_bwd(const Flash3BwdParams& p, void* workspace);

// Enqueues one backward (preprocess, main, postprocess) on `stream` (a cudaStream_t). It re-initialises the
// workspace each time, so it can be re-run.
void run_bwd(const Flash3BwdParams& p, const Bwd3Plan& plan, void* stream);

// Per head dim: the main kernel's launch (defined in flash3_bwd_d<D>.cu).
template <int D>
void launch_bwd(const Flash3BwdParams& p, const Bwd3Plan& plan, void* stream);
// Head dims 64 and 128: the block-mask instances (flash3_bwd_d<D>_mask.cu).
template <int D>
void launch_bwd_block_mask(const Flash3BwdParams& p, const Bwd3Plan& plan, void* stream);

}  // namespace fa::flash3
