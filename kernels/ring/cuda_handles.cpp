#include "kernels/ring/cuda_handles.hpp"

#include "core/cuda_check.hpp"
#include "kernels/ring/device_memory.hpp"

namespace fa::ring {

OwnedStream::OwnedStream(int device) : device_(device) {
  DeviceGuard on(device_);
  FA_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}

OwnedStream::~OwnedStream() {
  if (stream_ == nullptr) return;
  int previous = -1;
  (void)cudaGetDevice(&previous);
  (void)cudaSetDevice(device_);
  (void)cudaStreamDestroy(stream_);  // noexcept path: return codes ignored
  (void)cudaSetDevice(previous);
}

OwnedEvent::OwnedEvent(int device) : device_(device) {
  DeviceGuard on(device_);
  FA_CUDA_CHECK(cudaEventCreateWithFlags(&event_, cudaEventDisableTiming));
}

OwnedEvent::~OwnedEvent() {
  if (event_ == nullptr) return;
  int previous = -1;
  (void)cudaGetDevice(&previous);
  (void)cudaSetDevice(device_);
  (void)cudaEventDestroy(event_);
  (void)cudaSetDevice(previous);
}

}  // namespace fa::ring
