#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/cuda_check.hpp"
#include "measure/sm_clock.hpp"

namespace fa {
namespace {

__device__ std::uint64_t global_ns() {
  std::uint64_t t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// Spins ~50 microseconds and reports cycles and nanoseconds elapsed.
__global__ void clock_probe(unsigned long long* out) {
  const std::uint64_t t0 = global_ns();
  const long long c0 = clock64();
  std::uint64_t t1 = t0;
  while (t1 - t0 < 50000) t1 = global_ns();
  const long long c1 = clock64();
  out[0] = static_cast<unsigned long long>(c1 - c0);
  out[1] = static_cast<unsigned long long>(t1 - t0);
}

__global__ void spin_kernel(std::uint64_t ns) {
  const std::uint64_t t0 = global_ns();
  while (global_ns() - t0 < ns) {
  }
}

}  // namespace

void spin_gpu(double seconds, void* stream) {
  int dev = 0, sms = 0;
  FA_CUDA_CHECK(cudaGetDevice(&dev));
  FA_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  auto s = static_cast<cudaStream_t>(stream);
  spin_kernel<<<sms * 4, 128, 0, s>>>(static_cast<std::uint64_t>(seconds * 1e9));
  FA_CUDA_CHECK_LAUNCH();
  FA_CUDA_CHECK(cudaStreamSynchronize(s));
}

double measure_sm_clock_mhz(void* stream) {
  auto s = static_cast<cudaStream_t>(stream);
  unsigned long long* d = nullptr;
  unsigned long long h[2] = {0, 0};
  FA_CUDA_CHECK(cudaMalloc(&d, sizeof h));
  clock_probe<<<1, 1, 0, s>>>(d);
  const cudaError_t launch = cudaGetLastError();
  const cudaError_t copy = launch == cudaSuccess ? cudaMemcpyAsync(h, d, sizeof h, cudaMemcpyDeviceToHost, s) : launch;
  const cudaError_t sync = copy == cudaSuccess ? cudaStreamSynchronize(s) : copy;
  FA_CUDA_CHECK(cudaFree(d));
  FA_CUDA_CHECK(sync);
  return h[1] ? static_cast<double>(h[0]) * 1000.0 / static_cast<double>(h[1]) : 0.0;
}

}  // namespace fa
