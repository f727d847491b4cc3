#pragma once
// What `fa-bench list` and the report metadata say about the GPUs (or their absence).
#include <cstdint>
#include <string>
#include <vector>

namespace fa {

struct DeviceInfo {
  int index = 0;
  std::string name;
  int sm_count = 0;
  int cc_major = 0, cc_minor = 0;
  std::uint64_t memory_bytes = 0;
  std::uint64_t l2_bytes = 0;
  int sm_clock_khz = 0;
};

struct DeviceSummary {
  std::vector<DeviceInfo> devices;
  std::string none_reason;  // why the list is empty ("no CUDA in this build", driver error, ...)
  std::string driver_version, runtime_version;
};

DeviceSummary query_devices();

}  // namespace fa
