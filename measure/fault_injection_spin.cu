// The spin of the test-only fault injection (measure/fault_injection.hpp): one thread counting SM
// cycles, so that its length follows the SM clock as compute-bound kernel code does.
#include <cuda_runtime_api.h>

#include "core/cuda_check.hpp"
#include "measure/fault_injection.hpp"

namespace fa::fault_injection {
namespace {

__global__ void spin_cycles_kernel(long long cycles) {
  const long long t0 = clock64();
  while (clock64() - t0 < cycles) {
  }
}

}  // namespace

void spin_gpu_cycles(long long cycles, void* stream) {
  spin_cycles_kernel<<<1, 1, 0, static_cast<cudaStream_t>(stream)>>>(cycles);
  FA_CUDA_CHECK_LAUNCH();
}

}  // namespace fa::fault_injection
