#pragma once
// Launch of the flash3 forward for one head dim: picks the instance for dtype / causal / dropout and
// raises the dynamic shared-memory limit once per device and instance. Included by one
// flash3_fwd_d<D>.cu per head dim so the instances compile in parallel.
#include <cuda_runtime_api.h>

#include "core/cuda_check.hpp"
#include "kernels/flash3/flash3_fwd.hpp"
#include "kernels/flash3/flash3_fwd_kernel.cuh"
#include "kernels/flash3/flash3_smem_opt_in.cuh"

namespace fa::flash3 {

template <class Tr, class T, bool kCausal, bool kDropout>
void launch_fwd_instance(const Flash3Params& p, const Fwd3Plan& plan, cudaStream_t stream) {
  auto* kernel = flash3_fwd_kernel<Tr, T, kCausal, kDropout>;
  opt_in_dynamic_smem<flash3_fwd_kernel<Tr, T, kCausal, kDropout>>(Tr::kSmemBytes);
  kernel<<<plan.grid, Tr::kThreads, Tr::kSmemBytes, stream>>>(plan.q, plan.k, plan.v, plan.o, p);
  FA_CUDA_CHECK_LAUNCH();
}

template <class Tr, class T>
void launch_fwd_dtype(const Flash3Params& p, const Fwd3Plan& plan, cudaStream_t stream) {
  const bool dropout = p.dropout_threshold8 > 0;
  if (p.causal) {
    if (dropout) launch_fwd_instance<Tr, T, true, true>(p, plan, stream);
    else launch_fwd_instance<Tr, T, true, false>(p, plan, stream);
  } else {
    if (dropout) launch_fwd_instance<Tr, T, false, true>(p, plan, stream);
    else launch_fwd_instance<Tr, T, false, false>(p, plan, stream);
  }
}

template <int D>
Fwd3Geometry fwd_geometry() {
  using Tr = Fwd3TraitsFor<D>;
  return {Tr::kSwz, Tr::BM, Tr::BN, Tr::kThreads, Tr::kSmemBytes};
}

template <int D>
void launch_fwd(const Flash3Params& p, const Fwd3Plan& plan, void* stream) {
  using Tr = Fwd3TraitsFor<D>;
  const auto s = static_cast<cudaStream_t>(stream);
  if (p.dtype == DType::bf16) launch_fwd_dtype<Tr, __nv_bfloat16>(p, plan, s);
  else launch_fwd_dtype<Tr, __half>(p, plan, s);
}

}  // namespace fa::flash3
