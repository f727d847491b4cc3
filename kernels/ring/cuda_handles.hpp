#pragma once
// Owned CUDA streams and events that remember their device, so that the ring's per-GPU handles are
// released on the right device, in any order, also when a constructor throws half way.
#include <cuda_runtime_api.h>

namespace fa::ring {

class OwnedStream {
 public:
  explicit OwnedStream(int device);  // non-blocking: the ring orders its streams with events only
  ~OwnedStream();
  OwnedStream(const OwnedStream&) = delete;
  OwnedStream& operator=(const OwnedStream&) = delete;
  cudaStream_t get() const { return stream_; }

 private:
  int device_;
  cudaStream_t stream_ = nullptr;
};

class OwnedEvent {
 public:
  explicit OwnedEvent(int device);  // timing disabled: used for ordering only
  ~OwnedEvent();
  OwnedEvent(const OwnedEvent&) = delete;
  OwnedEvent& operator=(const OwnedEvent&) = delete;
  cudaEvent_t get() const { return event_; }

 private:
  int device_;
  cudaEvent_t event_ = nullptr;
};

}  // namespace fa::ring
