#pragma once
// Device plumbing of a multi-GPU run inside one process: which device is current, and memory on the
// ring's other GPUs (the harness's tracked allocator only serves its own device).
#include <cstddef>

#include "core/allocator.hpp"

namespace fa::ring {

// Makes `device` current for the scope and restores the previous device after it, so that the
// harness finds its own device current again whatever a ring call did in between.
class DeviceGuard {
 public:
  explicit DeviceGuard(int device);
  ~DeviceGuard();
  DeviceGuard(const DeviceGuard&) = delete;
  DeviceGuard& operator=(const DeviceGuard&) = delete;

 private:
  int previous_ = -1;
  bool changed_ = false;
};

// Plain cudaMalloc / cudaFree on one given device (whichever device is current at the call), for the
// ring's buffers on GPUs other than the harness's. Not tracked: the harness measures its own device
// only. A failed allocation throws fa::OutOfMemory, as the tracked allocator does, so that the point
// becomes an `oom` row.
class PeerDeviceAllocator final : public Allocator {
 public:
  explicit PeerDeviceAllocator(int device) : device_(device) {}
  void* allocate(std::size_t bytes, const char* what) override;
  void deallocate(void* p) noexcept override;
  int device() const { return device_; }

 private:
  int device_;
};

}  // namespace fa::ring
