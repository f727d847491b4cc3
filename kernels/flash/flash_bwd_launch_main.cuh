#pragma once
// Host launcher of the main backward kernel for one head dim; included by flash_bwd_d<D>.cu only.
#include <cuda_runtime.h>

#include <stdexcept>

#include "core/cuda_check.hpp"
#include "kernels/flash/flash_bwd_kernel.cuh"
#include "kernels/flash/flash_bwd_launch.cuh"

namespace fa::flash::bwd {

template <class Tr, class T, bool kDropout>
void launch_main_typed(const MainArgs& args, unsigned blocks, cudaStream_t stream) {
  auto kernel = flash_bwd_main_kernel<Tr, T, kDropout>;
  // Above 48 KB a block's dynamic shared memory must be opted into per kernel.
  FA_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, Tr::kSmemBytes));
  kernel<<<blocks, Tr::kThreads, Tr::kSmemBytes, stream>>>(args);
  FA_CUDA_CHECK_LAUNCH();
}

template <int D>
void launch_main(const FlashBwdParams& p, const Workspace& ws, void* stream) {
  using Tr = BwdTraits<D>;
  MainArgs args{};
  args.p = p;
  args.dq_accum = ws.dq_accum;
  args.lse2 = ws.lse2;
  args.delta = ws.delta;
  args.dk_accum = ws.dk_accum;
  args.dv_accum = ws.dv_accum;
  args.nq_pad = ws.nq_pad;
  args.k_tiles = (p.seqlen_kv + Tr::kBc - 1) / Tr::kBc;
  args.scale = p.scale;
  args.scale_log2 = p.scale * ptx::kLog2e;
  args.keep_scale = p.dropout > 0.0f ? 1.0f / (1.0f - p.dropout) : 1.0f;
  const long long blocks = static_cast<long long>(args.k_tiles) * p.batch * p.heads;
  if (blocks > 0x7fffffffLL) throw std::invalid_argument("flash backward: grid too large");
  auto s = static_cast<cudaStream_t>(stream);
  const bool dropout = p.dropout > 0.0f;
  if (p.dtype == DType::bf16) {
    if (dropout) launch_main_typed<Tr, __nv_bfloat16, true>(args, static_cast<unsigned>(blocks), s);
    else launch_main_typed<Tr, __nv_bfloat16, false>(args, static_cast<unsigned>(blocks), s);
  } else {
    if (dropout) launch_main_typed<Tr, __half, true>(args, static_cast<unsigned>(blocks), s);
    else launch_main_typed<Tr, __half, false>(args, static_cast<unsigned>(blocks), s);
  }
}

}  // namespace fa::flash::bwd
