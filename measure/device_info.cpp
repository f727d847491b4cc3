#include "measure/device_info.hpp"

#if FA_HAS_CUDA
#include <cuda_runtime_api.h>
#endif

namespace fa {
namespace {
[[maybe_unused]] std::string cuda_version_string(int v) {
  return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
}
}  // namespace

DeviceSummary query_devices() {
  DeviceSummary s;
#if FA_HAS_CUDA
  int rt = 0, drv = 0;
  if (cudaRuntimeGetVersion(&rt) == cudaSuccess) s.runtime_version = cuda_version_string(rt);
  if (cudaDriverGetVersion(&drv) == cudaSuccess && drv > 0) s.driver_version = cuda_version_string(drv);
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) {
    s.none_reason = std::string("no CUDA device: ") + cudaGetErrorString(e);
    (void)cudaGetLastError();
    return s;
  }
  for (int i = 0; i < n; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    DeviceInfo d;
    d.index = i;
    d.name = prop.name;
    d.sm_count = prop.multiProcessorCount;
    d.cc_major = prop.major;
    d.cc_minor = prop.minor;
    d.memory_bytes = prop.totalGlobalMem;
    d.l2_bytes = static_cast<std::uint64_t>(prop.l2CacheSize);
    int clk = 0;
    if (cudaDeviceGetAttribute(&clk, cudaDevAttrClockRate, i) == cudaSuccess) d.sm_clock_khz = clk;
    s.devices.push_back(d);
  }
  if (s.devices.empty()) s.none_reason = "no CUDA device found";
#else
  s.none_reason = "this build has no CUDA support";
#endif
  return s;
}

}  // namespace fa
