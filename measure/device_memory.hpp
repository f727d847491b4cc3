#pragma once
// The device-wide memory a point uses: what is in use on the GPU (library-internal allocations
// included), as opposed to what the tracking allocators count. What the harness's pool holds unused is
// free memory, not the point's (measure/device_pool.hpp).
#include <cstdint>
#include <optional>
#include <string>

#include "core/allocator.hpp"

namespace fa {

// Bytes in use on `device` (the current device), less the pool's unused slack; nullopt without CUDA or
// when the driver cannot say.
std::optional<std::uint64_t> device_used_bytes(int device);

// The device-wide peak of one point: the use at construction, and the highest use seen by note().
class DeviceUsageWatch {
 public:
  // cuda false: nothing to watch (host kernels); every reading is then absent.
  DeviceUsageWatch(bool cuda, int device);
  void note();
  // Highest use seen above the use at construction; nullopt when the start could not be read.
  std::optional<double> peak_above_start() const;

 private:
  bool cuda_;
  int device_;
  std::optional<std::uint64_t> start_;
  std::uint64_t peak_ = 0;
};

// Why `need_bytes` do not fit in the free memory of `device` ("needs 3.00 GiB, 1.20 GiB free"), or
// empty when they do. The pool's slack counts as free. Sets the device. CUDA builds only.
std::string memory_shortfall(double need_bytes, int device);

// "1.50 GiB"
std::string gib_text(double bytes);
// "allocation of 1.50 GiB failed (<where>)", for a row or a skipped benchmark.
std::string allocation_failure_text(const OutOfMemory& e);

}  // namespace fa
