#pragma once
// Launch of the flash3 backward main kernel for one head dim: picks the instance for dtype / causal / dropout
// (/ block mask) and raises the dynamic shared-memory limit once per device and instance. Included by one
// flash3_bwd_d<D>.cu per head dim, and flash3_bwd_d<D>_mask.cu for the block-mask instances, so the instances
// compile in parallel.
#include <cuda_runtime_api.h>

#include "core/cuda_check.hpp"
#include "kernels/flash3/flash3_bwd.hpp"
#include "kernels/flash3/flash3_bwd_kernel.cuh"
#include "kernels/flash3/flash3_smem_opt_in.cuh"

namespace fa::flash3 {

template <class Tr, class T, bool kCausal, bool kDropout, bool kBlockMask>
void launch_bwd_instance(const Flash3BwdParams& p, const Bwd3Plan& plan, cudaStream_t stream) {
  auto* kernel = flash3_bwd_kernel<Tr, T, kCausal, kDropout, kBlockMask>;
  opt_in_dynamic_smem<flash3_bwd_kernel<Tr, T, kCausal, kDropout, kBlockMask>>(Tr::kSmemBytes);
  kernel<<<plan.grid, Tr::kThreads, Tr::kSmemBytes, stream>>>(plan.maps, p);
  FA_CUDA_CHECK_LAUNCH();
}

template <class Tr, class T, bool kDropout, bool kBlockMask>
void launch_bwd_causal(const Flash3BwdParams& p, const Bwd3Plan& plan, cudaStream_t stream) {
  if (p.causal) launch_bwd_instance<Tr, T, true, kDropout, kBlockMask>(p, plan, stream);
  else launch_bwd_instance<Tr, T, false, kDropout, kBlockMask>(p, plan, stream);
}

template <class Tr, class T>
void launch_bwd_dtype(const Flash3BwdParams& p, const Bwd3Plan& plan, cudaStream_t stream) {
  if (p.dropout_threshold8 > 0) launch_bwd_causal<Tr, T, true, false>(p, plan, stream);
  else launch_bwd_causal<Tr, T, false, false>(p, plan, stream);
}

template <int D>
void launch_bwd(const Flash3BwdParams& p, const Bwd3Plan& plan, void* stream) {
  using Tr = Bwd3TraitsFor<D>;
  const auto s = static_cast<cudaStream_t>(stream);
  if (p.dtype == DType::bf16) launch_bwd_dtype<Tr, __nv_bfloat16>(p, plan, s);
  else launch_bwd_dtype<Tr, __half>(p, plan, s);
}

// The block-mask instances: fp16/bf16, causal or not, no dropout (run_bwd checks block_mask_unsupported_reason).
template <int D>
void launch_bwd_block_mask(const Flash3BwdParams& p, const Bwd3Plan& plan, void* stream) {
  using Tr = Bwd3TraitsFor<D>;
  const auto s = static_cast<cudaStream_t>(stream);
  if (p.dtype == DType::bf16) launch_bwd_causal<Tr, __nv_bfloat16, false, true>(p, plan, s);
  else launch_bwd_causal<Tr, __half, false, true>(p, plan, s);
}

}  // namespace fa::flash3
