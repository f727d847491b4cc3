#pragma once
// Allocators that count bytes: current, peak, and the largest request that failed. One instance per
// category (operands, kernel scratch) so a row can report both. Device allocations come from the
// per-GPU pool of measure/device_pool (plain device memory, never managed memory; freed buffers stay
// in the pool); an allocation failure becomes fa::OutOfMemory, which the point runner turns into an
// `oom` row naming the size attempted.
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/allocator.hpp"

namespace fa {

class TrackingAllocator : public Allocator {
 public:
  std::size_t current_bytes() const { return current_; }
  std::size_t peak_bytes() const { return peak_; }

 protected:
  void on_alloc(void* p, std::size_t bytes);
  std::size_t on_free(void* p);

 private:
  std::unordered_map<void*, std::size_t> sizes_;
  std::size_t current_ = 0, peak_ = 0;
};

class HostTrackingAllocator final : public TrackingAllocator {
 public:
  void* allocate(std::size_t bytes, const char* what) override;
  void deallocate(void* p) noexcept override;
};

// Only functional in CUDA builds; in CPU-only builds allocate() throws.
class DeviceTrackingAllocator final : public TrackingAllocator {
 public:
  void* allocate(std::size_t bytes, const char* what) override;
  void deallocate(void* p) noexcept override;
};

}  // namespace fa
