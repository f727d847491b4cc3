#pragma once
// Launch of the flash3 forward for one head dim: picks the instance for dtype / causal / dropout (/ block mask)
// and raises the dynamic shared-memory limit once per device and instance. Included by one
// flash3_fwd_d<D>.cu per head dim, and flash3_fwd_d<D>_mask.cu for the block-mask instances, so the instances
// compile in parallel.
#include <cuda_runtime_api.h>

#include "core/cuda_check.hpp"
#include "kernels/flash3/flash3_fwd.hpp"
#include "kernels/flash3/flash3_fwd_kernel.cuh"
#include "kernels/flash3/flash3_smem_opt_in.cuh"

namespace fa::flash3 {

template <class Tr, class T, bool kCausal, bool kDropout, bool kBlockMask>
void launch_fwd_instance(const Flash3Params& p, const Fwd3Plan& plan, cudaStream_t stream) {
  auto* kernel = flash3_fwd_kernel<Tr, T, kCausal, kDropout, kBlockMask>;
  opt_in_dynamic_smem<flash3_fwd_kernel<Tr, T, kCausal, kDropout, kBlockMask>>(Tr::kSmemBytes);
  if constexpr (Tr::kVtGlobal) {
    // Programmatically dependent on the V^T transpose ahead of it: its prologue, Q and K loads and first S GEMMs run
    // while the transpose finishes; the producer waits for it before its first V^T load (grid_dependency_wait).
    cudaLaunchConfig_t cfg{};
    cfg.gridDim = dim3(static_cast<unsigned>(plan.grid));
    cfg.blockDim = dim3(Tr::kThreads);
    cfg.dynamicSmemBytes = Tr::kSmemBytes;
    cfg.stream = stream;
    cudaLaunchAttribute attr{};
    attr.id = cudaLaunchAttributeProgrammaticStreamSerialization;
    attr.val.programmaticStreamSerializationAllowed = 1;
    cfg.attrs = &attr;
    cfg.numAttrs = 1;
    FA_CUDA_CHECK(cudaLaunchKernelEx(&cfg, kernel, plan.q, plan.k, plan.v, plan.o, p));
  } else {
    kernel<<<plan.grid, Tr::kThreads, Tr::kSmemBytes, stream>>>(plan.q, plan.k, plan.v, plan.o, p);
  }
  FA_CUDA_CHECK_LAUNCH();
}

template <class Tr, class T, bool kDropout, bool kBlockMask>
void launch_fwd_causal(const Flash3Params& p, const Fwd3Plan& plan, cudaStream_t stream) {
  if (p.causal) launch_fwd_instance<Tr, T, true, kDropout, kBlockMask>(p, plan, stream);
  else launch_fwd_instance<Tr, T, false, kDropout, kBlockMask>(p, plan, stream);
}

template <class Tr, class T>
void launch_fwd_dtype(const Flash3Params& p, const Fwd3Plan& plan, cudaStream_t stream) {
  if (p.dropout_threshold8 > 0) launch_fwd_causal<Tr, T, true, false>(p, plan, stream);
  else launch_fwd_causal<Tr, T, false, false>(p, plan, stream);
}

// fp8: causal or not; no dropout instances (fwd_unsupported_reason refuses it).
template <class Tr>
void launch_fwd_fp8(const Flash3Params& p, const Fwd3Plan& plan, cudaStream_t stream) {
  launch_fwd_causal<Tr, __nv_fp8_e4m3, false, false>(p, plan, stream);
}

template <class Tr>
Fwd3Geometry geometry_of() {
  return {Tr::kSwz, Tr::BM, Tr::BN, Tr::kThreads, Tr::kSmemBytes, Tr::kElemBytes};
}

// The 16-bit instances, and the fp8 ones at the head dims that have them (kHasFp8).
template <int D, bool kHasFp8>
Fwd3Geometry fwd_geometry(bool fp8) {
  if constexpr (kHasFp8) {
    if (fp8) return geometry_of<Fwd3Fp8TraitsFor<D>>();
  }
  return fp8 ? Fwd3Geometry{} : geometry_of<Fwd3TraitsFor<D>>();
}

template <int D, bool kHasFp8>
void launch_fwd(const Flash3Params& p, const Fwd3Plan& plan, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  if constexpr (kHasFp8) {
    if (p.dtype == DType::fp8) return launch_fwd_fp8<Fwd3Fp8TraitsFor<D>>(p, plan, s);
  }
  using Tr = Fwd3TraitsFor<D>;
  if (p.dtype == DType::bf16) launch_fwd_dtype<Tr, __nv_bfloat16>(p, plan, s);
  else launch_fwd_dtype<Tr, __half>(p, plan, s);
}

// The block-mask instances: fp16/bf16, causal or not, no dropout (run_fwd checks block_mask_unsupported_reason).
template <int D>
void launch_fwd_block_mask(const Flash3Params& p, const Fwd3Plan& plan, void* stream) {
  using Tr = Fwd3TraitsFor<D>;
  const auto s = static_cast<cudaStream_t>(stream);
  if (p.dtype == DType::bf16) launch_fwd_causal<Tr, __nv_bfloat16, false, true>(p, plan, s);
  else launch_fwd_causal<Tr, __half, false, true>(p, plan, s);
}

}  // namespace fa::flash3
