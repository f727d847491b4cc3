#include "kernels/cuda_arch.hpp"

#include <string>

#if FA_HAS_CUDA
#include <cuda_runtime_api.h>
#endif

namespace fa {

Support require_compute_capability(std::string_view family, int device, int major, int minor) {
  const std::string needs = std::string(family) + " needs an sm_" + std::to_string(major) + std::to_string(minor) + " GPU";
#if FA_HAS_CUDA
  int have_major = 0, have_minor = 0;
  cudaError_t e = cudaDeviceGetAttribute(&have_major, cudaDevAttrComputeCapabilityMajor, device);
  if (e == cudaSuccess) e = cudaDeviceGetAttribute(&have_minor, cudaDevAttrComputeCapabilityMinor, device);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();  // not sticky: leave no error for the next CUDA call
    return Support::no(needs + "; device " + std::to_string(device) + ": " + cudaGetErrorString(e));
  }
  if (have_major == major && have_minor == minor) return Support::yes();
  return Support::no(needs + "; device " + std::to_string(device) + " is sm_" + std::to_string(have_major) +
                     std::to_string(have_minor));
#else
  return Support::no(needs + "; this build has no CUDA");
#endif
}

}  // namespace fa
