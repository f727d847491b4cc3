#include "kernels/ring/ring_size.hpp"

#include <cuda_runtime_api.h>

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace fa::ring {

int ring_size_from_environment() {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count < 1) {
    (void)cudaGetLastError();
    throw std::runtime_error(std::string("ring: no CUDA device visible") +
                             (e != cudaSuccess ? std::string(" (cudaGetDeviceCount: ") + cudaGetErrorString(e) + ")" : ""));
  }
  const char* env = std::getenv("FA_RING_GPUS");
  if (env == nullptr || env[0] == '\0') return count;
  // Strict: the whole value must be a decimal integer in range ("2x", " 2", "+2", "0" are all refused).
  const std::string value(env);
  const bool digits = value.size() <= 9 && value.find_first_not_of("0123456789") == std::string::npos;
  const long n = digits ? std::stol(value) : 0;
  if (n < 1 || n > count) {
    throw std::invalid_argument("ring: FA_RING_GPUS='" + value + "' is not valid (accepted: an integer from 1 to " +
                                std::to_string(count) + ", the number of visible CUDA devices)");
  }
  return static_cast<int>(n);
}

std::vector<int> ring_devices(int first, int size, int count) {
  std::vector<int> devices;
  for (int r = 0; r < size; ++r) devices.push_back((first + r) % count);
  return devices;
}

}  // namespace fa::ring
