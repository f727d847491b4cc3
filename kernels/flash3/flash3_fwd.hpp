#pragma once
// Host entry points of the flash3 forward (sm_90a). A plan holds what a launch needs besides the
// parameters (tensor maps, grid size); it is built once per point, outside any timed region, so a timed
// launch is one kernel with no host work in front of it.
#include <cuda.h>

#include <cstddef>
#include <cstdint>

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

// The fp8 forwards whose V^T comes from global memory, transposed by a kernel before the forward
// (flash3_vt_transpose.cu) instead of by the producer warps.
inline bool fwd_vt_global(const Flash3Params& p) { return p.dtype == DType::fp8 && fp8_vt_global(p.head_dim); }
inline std::size_t vt_bytes(const Flash3Params& p) {
  if (!fwd_vt_global(p)) return 0;
  const std::size_t b = static_cast<std::size_t>(p.batch) * kv_heads_of(p) * p.head_dim * vt_keys(p.seqlen_kv);
  return (b + 255) / 256 * 256;
}

// Scratch the forward needs: V^T (vt_bytes) and the causal tile counter (p.vt and p.tile_counter point into it;
// bind_fwd_workspace).
inline std::size_t fwd_workspace_bytes(const Flash3Params& p) { return vt_bytes(p) + (p.causal ? 256 : 0); }
inline void bind_fwd_workspace(Flash3Params& p, void* workspace) {
  unsigned char* w = static_cast<unsigned char*>(workspace);
  if (vt_bytes(p) > 0) p.vt = w;
  if (p.causal) p.tile_counter = reinterpret_cast<int*>(w + vt_bytes(p));
}

// V^T of fp8 V into p.vt (fwd_vt_global), on `stream`: one CTA per 128 keys of each K/V head and batch
// (vt_transpose_blocks, at most 2^31 - 1: fwd_unsupported_reason).
inline long long vt_transpose_blocks(const Flash3Params& p) {
  return (vt_keys(p.seqlen_kv) + 127) / 128 * kv_heads_of(p) * static_cast<long long>(p.batch);
}
void launch_vt_transpose(const Flash3Params& p, void* stream);

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
