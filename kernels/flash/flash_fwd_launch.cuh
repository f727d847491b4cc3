#pragma once
// Host launch of the flash forward kernel for one head dim: picks the template instance for the
// dtype and the causal / dropout switches, sizes the grid and raises the dynamic shared-memory
// limit. Included by one flash_fwd_d<D>.cu per head dim so the instances compile in parallel.
#include <cuda_runtime_api.h>

#include <array>
#include <atomic>
#include <climits>
#include <cstdint>
#include <stdexcept>

#include "core/cuda_check.hpp"
#include "kernels/flash/flash_fwd_kernel.cuh"
#include "kernels/flash/flash_fwd_launch.hpp"

namespace fa::flash {

template <class Traits, class T, bool kCausal, bool kDropout, bool kVarlen>
void launch_flash_fwd_instance(const FlashParams& p, cudaStream_t stream) {
  auto* kernel = flash_fwd_kernel<Traits, T, kCausal, kDropout, kVarlen>;
  constexpr int kSmem = Traits::kSmemBytes;
  // Above 48 KB a kernel must opt in; once per device and instance, outside any timed loop's cost.
  static std::array<std::atomic<bool>, 64> opted_in{};
  int device = 0;
  FA_CUDA_CHECK(cudaGetDevice(&device));
  if (kSmem > 48 * 1024 && device < 64 && !opted_in[device].load(std::memory_order_acquire)) {
    FA_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmem));
    opted_in[device].store(true, std::memory_order_release);
  }
  const std::int64_t num_q_tiles = (p.seqlen_q + Traits::Br - 1) / Traits::Br;
  const std::int64_t blocks = num_q_tiles * p.batch * p.heads;
  if (blocks > INT_MAX) throw std::invalid_argument("flash forward: too many query tiles for one grid");
  kernel<<<static_cast<unsigned>(blocks), Traits::kThreads, kSmem, stream>>>(p, static_cast<int>(num_q_tiles));
  FA_CUDA_CHECK_LAUNCH();
}

// Fixed-length or varlen instance (flash_fwd_kernel says why they are apart).
template <class Traits, class T, bool kCausal, bool kDropout>
void launch_flash_fwd_lengths(const FlashParams& p, cudaStream_t stream) {
  if (p.cu_seqlens != nullptr) launch_flash_fwd_instance<Traits, T, kCausal, kDropout, true>(p, stream);
  else launch_flash_fwd_instance<Traits, T, kCausal, kDropout, false>(p, stream);
}

template <int D, class T>
void launch_flash_fwd_dtype(const FlashParams& p, cudaStream_t stream) {
  using Traits = FwdTraitsFor<D>;
  const bool dropout = p.dropout > 0.f;
  if (p.causal) {
    if (dropout) launch_flash_fwd_lengths<Traits, T, true, true>(p, stream);
    else launch_flash_fwd_lengths<Traits, T, true, false>(p, stream);
  } else {
    if (dropout) launch_flash_fwd_lengths<Traits, T, false, true>(p, stream);
    else launch_flash_fwd_lengths<Traits, T, false, false>(p, stream);
  }
}

template <int D>
void launch_flash_fwd_hdim(const FlashParams& p, cudaStream_t stream) {
  if (p.dtype == DType::bf16) {
    launch_flash_fwd_dtype<D, __nv_bfloat16>(p, stream);
  } else {
    launch_flash_fwd_dtype<D, __half>(p, stream);
  }
}

}  // namespace fa::flash
