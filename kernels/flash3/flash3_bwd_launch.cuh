#pragma once
// Launch of the flash3 backward main kernel for one head dim: picks the instance for dtype / causal and raises
// the dynamic shared-memory limit once per device and instance. Included by one flash3_bwd_d<D>.cu per head
// dim so the instances compile in parallel.
#include <cuda_runtime_api.h>

#include "core/cuda_check.hpp"
#include "kernels/flash3/flash3_bwd.hpp"
#include "kernels/flash3/flash3_bwd_kernel.cuh"
#include "kernels/flash3/flash3_smem_opt_in.cuh"

namespace fa::flash3 {

template <class Tr, class T, bool kCausal>
void launch_bwd_instance(const Flash3BwdParams& p, const Bwd3Plan& plan, cudaStream_t stream) {
  auto* kernel = flash3_bwd_kernel<Tr, T, kCausal>;
  opt_in_dynamic_smem<flash3_bwd_kernel<Tr, T, kCausal>>(Tr::kSmemBytes);
  kernel<<<plan.grid, Tr::kThreads, Tr::kSmemBytes, stream>>>(plan.q, plan.k, plan.v, plan.dout, plan.k_dq, plan.dq_accum, p);
  FA_CUDA_CHECK_LAUNCH();
}

template <int D>
void launch_bwd(const Flash3BwdParams& p, const Bwd3Plan& plan, void* stream) {
  using Tr = Bwd3TraitsFor<D>;
  const auto s = static_cast<cudaStream_t>(stream);
  if (p.dtype == DType::bf16) {
    if (p.causal) launch_bwd_instance<Tr, __nv_bfloat16, true>(p, plan, s);
    else launch_bwd_instance<Tr, __nv_bfloat16, false>(p, plan, s);
  } else {
    if (p.causal) launch_bwd_instance<Tr, __half, true>(p, plan, s);
    else launch_bwd_instance<Tr, __half, false>(p, plan, s);
  }
}

}  // namespace fa::flash3
