#pragma once
// What the host side of the flash backward hands to its three kernels (preprocess, main,
// postprocess), and the launchers each translation unit provides. The main kernel is compiled once
// per head dim in flash_bwd_d<D>.cu so the heavy instantiations build in parallel.
#include <cstdint>

#include "kernels/flash/flash_params.hpp"

namespace fa::flash::bwd {

// Rows of the per-(batch, head) workspace arrays are padded to a multiple of this (>= every Br),
// so a Q tile's lse / delta are whole, 16-byte aligned chunks and dQ atomics need no row check.
inline constexpr int kRowPad = 128;
inline int padded_rows(int seqlen_q) { return (seqlen_q + kRowPad - 1) / kRowPad * kRowPad; }

// Workspace, each array starting on a 256-byte boundary, rows padded to padded_rows(Nq):
//   dq_accum [B*H, Nq_pad, D]  fp32 dQ accumulator (unscaled)
//   lse2     [B*H, Nq_pad]     lse * log2(e); +inf for fully masked rows (lse = -inf) and padding
//   delta    [B*H, Nq_pad]     rowsum(dO * O); 0 for padding
struct Workspace {
  float* dq_accum = nullptr;
  float* lse2 = nullptr;
  float* delta = nullptr;
  int nq_pad = 0;
};
std::size_t workspace_layout(const FlashParams& p, void* base, Workspace* ws);

// Preprocess: lse2, delta and zeroing of the dQ accumulator (so every flash_bwd call starts clean).
void launch_preprocess(const FlashBwdParams& p, const Workspace& ws, void* stream);
// Postprocess: dQ = scale * accumulator, converted to the element type with dQ's strides.
void launch_postprocess(const FlashBwdParams& p, const Workspace& ws, void* stream);

// Main kernel for one head dim (both dtypes, with and without dropout).
template <int D>
void launch_main(const FlashBwdParams& p, const Workspace& ws, void* stream);

}  // namespace fa::flash::bwd
