#pragma once
// Holds a stream while a sample is enqueued, so that the sample's launches reach the GPU as one
// back-to-back queue and the timed interval measures the GPU's work, not the host's launch rate.
// This is nvbench's "blocking kernel": a one-thread kernel spins on a flag in pinned, mapped host
// memory until the host, done enqueueing, sets it. Without it, a point whose invocation is many short
// launches (a multi-kernel backward, NCCL calls) is timed at the speed of the CPU that enqueues it, and
// that speed differs between processes by tens of percent: the gate saw those points move 14-49 %
// between unchanged runs.
//
// A sample whose enqueueing waits for the GPU would wait for the hold forever: the kernel gives up
// after a timeout instead, and timed_out() tells the caller, who takes that sample again unheld. Three
// things make an enqueue wait: a synchronising call inside run() (every sample then times out); more
// launches in one sample than the stream's queue of pending work holds (a launch blocks until the
// held queue drains: every sample times out); and CUDA's lazy module loading, which may synchronise
// the context the first time a kernel is launched (one sample times out, the next ones are fine).
#include <cstdint>

namespace fa {

class StreamHold {
 public:
  explicit StreamHold(void* stream);  // cudaStream_t
  ~StreamHold();
  StreamHold(const StreamHold&) = delete;
  StreamHold& operator=(const StreamHold&) = delete;

  void hold();     // enqueue the spinning kernel
  void release();  // let it finish (host side; call after the sample is enqueued)
  // Whether the last hold ended by its timeout rather than by release(); valid once the stream has
  // been synchronised after release().
  bool timed_out() const;

  static constexpr std::uint64_t kTimeoutNs = 50'000'000;  // 50 ms: no enqueue of one sample takes that long

 private:
  void* stream_;
  volatile int* host_words_ = nullptr;  // [0] release flag (host writes), [1] timed-out flag (GPU writes)
  int* device_words_ = nullptr;         // the same words as the GPU addresses them
};

}  // namespace fa
