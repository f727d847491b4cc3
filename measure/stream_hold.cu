#include "measure/stream_hold.hpp"

#include <cuda_runtime_api.h>

#include <atomic>
#include <memory>

#include "core/cuda_check.hpp"

namespace fa {
namespace {

__device__ unsigned long long hold_now_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// Spins until the host's flag is set or the timeout passes. The flag lives in host memory: each read
// goes over the bus, so the loop sleeps a little between reads rather than hammering it.
__global__ void hold_stream(const volatile int* release, volatile int* timed_out, unsigned long long timeout_ns) {
  const unsigned long long t0 = hold_now_ns();
  while (*release == 0) {
    if (hold_now_ns() - t0 > timeout_ns) {
      *timed_out = 1;
      return;
    }
    __nanosleep(500);
  }
}

}  // namespace

StreamHold::StreamHold(void* stream) : stream_(stream) {
  void* host = nullptr;
  FA_CUDA_CHECK(cudaHostAlloc(&host, 2 * sizeof(int), cudaHostAllocMapped | cudaHostAllocPortable));
  // Owned by a guard until the constructor has finished: a throw below must not leak the pinned words.
  std::unique_ptr<void, void (*)(void*)> guard(host, [](void* h) { (void)cudaFreeHost(h); });
  void* dev = nullptr;
  FA_CUDA_CHECK(cudaHostGetDevicePointer(&dev, host, 0));
  host_words_ = static_cast<volatile int*>(guard.release());
  host_words_[0] = 0;
  host_words_[1] = 0;
  device_words_ = static_cast<int*>(dev);
}

StreamHold::~StreamHold() {
  if (host_words_ != nullptr) (void)cudaFreeHost(const_cast<int*>(host_words_));
}

void StreamHold::hold() {
  // The previous hold is over: its stream was synchronised before the next sample begins.
  host_words_[0] = 0;
  host_words_[1] = 0;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  hold_stream<<<1, 1, 0, static_cast<cudaStream_t>(stream_)>>>(device_words_, device_words_ + 1, kTimeoutNs);
  FA_CUDA_CHECK_LAUNCH();
}

void StreamHold::release() {
  std::atomic_thread_fence(std::memory_order_seq_cst);
  host_words_[0] = 1;
}

bool StreamHold::timed_out() const { return host_words_[1] != 0; }

}  // namespace fa
