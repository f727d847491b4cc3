#include "measure/device_memory.hpp"

#include <algorithm>

#include <fmt/core.h>

#if FA_HAS_CUDA
#include <cuda_runtime_api.h>

#include "core/cuda_check.hpp"
#include "measure/device_pool.hpp"
#endif

namespace fa {

std::optional<std::uint64_t> device_used_bytes(int device) {
#if FA_HAS_CUDA
  std::size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) return std::nullopt;
  const std::uint64_t used = total_b - free_b, slack = device_pool::slack_bytes(device);
  return used > slack ? used - slack : 0;
#else
  (void)device;
  return std::nullopt;
#endif
}

DeviceUsageWatch::DeviceUsageWatch(bool cuda, int device)
    : cuda_(cuda), device_(device), start_(cuda ? device_used_bytes(device) : std::nullopt) {
  peak_ = start_.value_or(0);
}

void DeviceUsageWatch::note() {
  if (!cuda_) return;
  if (const std::optional<std::uint64_t> used = device_used_bytes(device_)) peak_ = std::max(peak_, *used);
}

std::optional<double> DeviceUsageWatch::peak_above_start() const {
  if (!start_) return std::nullopt;
  return static_cast<double>(peak_ - *start_);
}

std::string memory_shortfall(double need_bytes, int device) {
#if FA_HAS_CUDA
  FA_CUDA_CHECK(cudaSetDevice(device));
  std::size_t free_b = 0, total_b = 0;
  FA_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  free_b += device_pool::slack_bytes(device);
  if (need_bytes <= static_cast<double>(free_b)) return "";
  return "needs " + gib_text(need_bytes) + ", " + gib_text(static_cast<double>(free_b)) + " free";
#else
  (void)need_bytes;
  (void)device;
  return "";
#endif
}

std::string gib_text(double bytes) { return fmt::format("{:.2f} GiB", bytes / 1073741824.0); }

std::string allocation_failure_text(const OutOfMemory& e) {
  return "allocation of " + gib_text(static_cast<double>(e.bytes)) + " failed (" + e.where + ")";
}

}  // namespace fa
