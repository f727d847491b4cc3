#include "measure/counters_l2_scrub.hpp"

#include <cuda_runtime.h>

#include <cstddef>

#include "core/cuda_check.hpp"
#include "measure/sampler.hpp"

namespace fa {
namespace {

__global__ void scrub_kernel(int4* buf, std::size_t n) {
  int acc = 0;
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x) {
    const int4 v = buf[i];
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  // Keeps the loads alive. The store (into the scratch buffer itself) needs one exact 32-bit value
  // in a thread's running XOR, so in practice nothing is stored and the scrub adds no DRAM writes.
  if (acc == 0x5ca1ab1e) buf[0].x = acc;
}

}  // namespace

void scrub_l2(int device, void* stream) {
  std::size_t bytes = 0;
  void* buf = l2_flush_buffer(device, &bytes);  // 2 x L2, allocated once per process
  int sms = 0;
  FA_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  scrub_kernel<<<static_cast<unsigned>(sms * 4), 512, 0, static_cast<cudaStream_t>(stream)>>>(
      static_cast<int4*>(buf), bytes / sizeof(int4));
  FA_CUDA_CHECK_LAUNCH();
}

}  // namespace fa
