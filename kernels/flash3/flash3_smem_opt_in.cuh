#pragma once
// Dynamic shared memory above 48 KB must be opted into per kernel and device; the flash3 launchers do it
// once per (kernel instance, device) rather than on every launch.
#include <cuda_runtime_api.h>

#include <array>
#include <atomic>

#include "core/cuda_check.hpp"

namespace fa::flash3 {

template <auto kKernel>
void opt_in_dynamic_smem(int bytes) {
  static std::array<std::atomic<bool>, 64> opted_in{};
  int device = 0;
  FA_CUDA_CHECK(cudaGetDevice(&device));
  const bool cached = device < 64;
  if (cached && opted_in[device].load(std::memory_order_acquire)) return;
  FA_CUDA_CHECK(cudaFuncSetAttribute(kKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes));
  if (cached) opted_in[device].store(true, std::memory_order_release);
}

}  // namespace fa::flash3
