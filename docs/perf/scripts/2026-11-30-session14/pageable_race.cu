// Does a kernel on a non-blocking stream see all of a pageable cudaMemcpy host-to-device that has returned?
// The CUDA runtime documents that such a copy may return once the bytes are staged, before the DMA has landed,
// and non-blocking streams do not wait for the legacy stream. Per iteration: fill the host buffer with a new
// byte value, copy it (pageable, cudaMemcpy), optionally wait for the legacy stream, then count on a
// non-blocking stream the 4-byte words of the buffer that do not hold the new value yet.
// Build: nvcc -O2 -arch=sm_90 pageable_race.cu -o pageable_race; run: pageable_race [MiB] [iterations]
#include <cuda_runtime.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#define CHECK(x)                                                                       \
  do {                                                                                 \
    cudaError_t e_ = (x);                                                              \
    if (e_ != cudaSuccess) {                                                           \
      std::fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e_)); \
      std::exit(1);                                                                    \
    }                                                                                  \
  } while (0)

__global__ void count_stale(const unsigned* buf, size_t words, unsigned want, unsigned long long* stale) {
  unsigned long long n = 0;
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < words; i += (size_t)gridDim.x * blockDim.x)
    n += buf[i] != want;
  atomicAdd(stale, n);
}

int main(int argc, char** argv) {
  const size_t mib = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 256;
  const int iters = argc > 2 ? std::atoi(argv[2]) : 40;
  const size_t bytes = mib << 20, words = bytes / 4;
  std::vector<unsigned char> host(bytes);
  unsigned* dev = nullptr;
  unsigned long long* stale = nullptr;
  CHECK(cudaMalloc(&dev, bytes));
  CHECK(cudaMalloc(&stale, sizeof *stale));
  cudaStream_t s;
  CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  for (int wait = 0; wait < 2; ++wait) {
    int bad_iters = 0;
    unsigned long long worst = 0;
    for (int it = 0; it < iters; ++it) {
      const unsigned char v = static_cast<unsigned char>(2 * it + wait + 1);
      std::memset(host.data(), v, bytes);
      CHECK(cudaMemcpy(dev, host.data(), bytes, cudaMemcpyHostToDevice));
      if (wait) CHECK(cudaStreamSynchronize(cudaStreamLegacy));
      CHECK(cudaMemsetAsync(stale, 0, sizeof *stale, s));
      count_stale<<<1024, 256, 0, s>>>(dev, words, 0x01010101u * v, stale);
      CHECK(cudaGetLastError());
      unsigned long long n = 0;
      CHECK(cudaMemcpyAsync(&n, stale, sizeof n, cudaMemcpyDeviceToHost, s));
      CHECK(cudaStreamSynchronize(s));
      if (n) ++bad_iters;
      if (n > worst) worst = n;
      CHECK(cudaDeviceSynchronize());
    }
    std::printf("%s: %d of %d copies of %zu MiB seen incomplete by the kernel (worst: %llu of %zu words stale)\n",
                wait ? "with cudaStreamSynchronize(cudaStreamLegacy)" : "cudaMemcpy alone", bad_iters, iters, mib,
                worst, words);
  }
  return 0;
}
