#include "kernels/ring/device_memory.hpp"

#include <cuda_runtime_api.h>

#include <string>

#include "core/cuda_check.hpp"

namespace fa::ring {

DeviceGuard::DeviceGuard(int device) {
  FA_CUDA_CHECK(cudaGetDevice(&previous_));
  if (device != previous_) {
    FA_CUDA_CHECK(cudaSetDevice(device));
    changed_ = true;
  }
}

DeviceGuard::~DeviceGuard() {
  if (changed_) (void)cudaSetDevice(previous_);  // noexcept path: nothing useful to do on failure
}

void* PeerDeviceAllocator::allocate(std::size_t bytes, const char* what) {
  DeviceGuard on(device_);
  void* p = nullptr;
  const cudaError_t e = cudaMalloc(&p, bytes);
  if (e == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // not sticky: clear it so the sweep goes on
    throw OutOfMemory(bytes, "device " + std::to_string(device_) + ": " + what);
  }
  FA_CUDA_CHECK(e);
  return p;
}

void PeerDeviceAllocator::deallocate(void* p) noexcept {
  int previous = -1;
  if (cudaGetDevice(&previous) != cudaSuccess) return;
  if (previous != device_) (void)cudaSetDevice(device_);
  (void)cudaFree(p);
  if (previous != device_) (void)cudaSetDevice(previous);
}

}  // namespace fa::ring
