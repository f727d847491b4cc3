#include "measure/tracking_allocator.hpp"

#include <cstdlib>
#include <cstring>

#if FA_HAS_CUDA
#include <cuda_runtime_api.h>

#include "core/cuda_check.hpp"
#include "measure/device_pool.hpp"
#endif

namespace fa {

void TrackingAllocator::on_alloc(void* p, std::size_t bytes) {
  sizes_[p] = bytes;
  current_ += bytes;
  if (current_ > peak_) peak_ = current_;
}

std::size_t TrackingAllocator::on_free(void* p) {
  auto it = sizes_.find(p);
  if (it == sizes_.end()) return 0;
  const std::size_t b = it->second;
  current_ -= b;
  sizes_.erase(it);
  return b;
}

void* HostTrackingAllocator::allocate(std::size_t bytes, const char* what) {
  // 64-byte alignment: vectorised host loops and pinned-like behaviour are not needed, but the
  // alignment keeps any element type happy.
  void* p = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!p) throw OutOfMemory(bytes, std::string("host: ") + what);
  on_alloc(p, bytes);
  return p;
}

void HostTrackingAllocator::deallocate(void* p) noexcept {
  on_free(p);
  std::free(p);
}

void* DeviceTrackingAllocator::allocate(std::size_t bytes, const char* what) {
#if FA_HAS_CUDA
  void* p = device_pool::allocate(bytes);
  if (!p) throw OutOfMemory(bytes, std::string("device: ") + what);
  on_alloc(p, bytes);
  return p;
#else
  throw OutOfMemory(bytes, std::string("device (no CUDA in this build): ") + what);
#endif
}

void DeviceTrackingAllocator::deallocate(void* p) noexcept {
#if FA_HAS_CUDA
  on_free(p);
  device_pool::deallocate(p);  // kept in the pool for the next point, see device_pool.hpp
#else
  (void)p;
#endif
}

}  // namespace fa
