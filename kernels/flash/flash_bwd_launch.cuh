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
// and with grouped K/V heads (kv_group > 1):
//   dk_accum [B*Hkv, Nk, D]    fp32 dK (times the softmax scale) summed over each group's query heads
//   dv_accum [B*Hkv, Nk, D]    fp32 dV, likewise
// The main kernel adds each query head's dK/dV into those with fp32 atomics (with many key tiles the
// group's CTAs of one K/V tile run at different times; with MQA or short keys many of them add into the
// same tile at once and contend, which costs time, not correctness) rather than writing one dK/dV per query
// head for a separate reduction: the scratch is Hkv x Nk x D per tensor instead of H x Nk x D (32x
// less for multi-query attention), and no pass re-reads H copies. The price is a summation order
// that varies from run to run, as for dQ.
struct Workspace {
  float* dq_accum = nullptr;
  float* lse2 = nullptr;
  float* delta = nullptr;
  float* dk_accum = nullptr;  // null without grouped K/V heads
  float* dv_accum = nullptr;
  int nq_pad = 0;
};
std::size_t workspace_layout(const FlashParams& p, void* base, Workspace* ws);

// Preprocess: lse2, delta and zeroing of the dQ accumulator (so every flash_bwd call starts clean).
void launch_preprocess(const FlashBwdParams& p, const Workspace& ws, void* stream);
// Postprocess: dQ = scale * accumulator, converted to the element type with dQ's strides.
void launch_postprocess(const FlashBwdParams& p, const Workspace& ws, void* stream);

// Grouped K/V heads (flash_bwd_grouped_kv.cu): zero the dK/dV accumulators before the main kernel,
// and after it convert them to the element type with dK's and dV's strides.
void launch_zero_dkv_accum(const FlashBwdParams& p, const Workspace& ws, void* stream);
void launch_dkv_convert(const FlashBwdParams& p, const Workspace& ws, void* stream);

// Main kernel for one head dim (both dtypes, with and without dropout).
template <int D>
void launch_main(const FlashBwdParams& p, const Workspace& ws, void* stream);

}  // namespace fa::flash::bwd
