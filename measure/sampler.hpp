#pragma once
// Times one invocation of a point: host clock for host kernels; CUDA events on the point's stream
// for GPU kernels, with the stream held while a sample is enqueued (measure/stream_hold.hpp) so that
// the events time the GPU's work rather than the host's launch rate. In cold mode (the default) the L2 cache is flushed before every sample by writing a
// buffer of twice the L2 size, so each sample reads its operands from HBM, as a real model does
// between layers; hot mode leaves the cache warm (back-to-back launches).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/kernel.hpp"

namespace fa {

class SampleClock;
class StreamHold;

enum class TimingMode { cold, hot };
std::string to_string(TimingMode m);

class Sampler {
 public:
  Sampler(Backend backend, void* stream, TimingMode mode, int device);
  ~Sampler();
  Sampler(const Sampler&) = delete;
  Sampler& operator=(const Sampler&) = delete;

  // Milliseconds taken by `launch()` (which enqueues the work; for host kernels, does it).
  double sample_ms(const std::function<void()>& launch);
  // Average SM clock (MHz) during the last sample (GPU kernels; 0 for host kernels or when unknown).
  double last_clock_mhz() const { return last_clock_mhz_; }
  std::string mode_name() const;
  // Empty while samples are taken with the stream held; otherwise why not (an invocation that waits for
  // the GPU while it is enqueued cannot be held: its samples then include the host's enqueueing).
  const std::string& hold_note() const { return hold_note_; }

 private:
  void flush_l2();
  Backend backend_;
  void* stream_;
  TimingMode mode_;
  void* start_ = nullptr;  // cudaEvent_t
  void* stop_ = nullptr;
  static constexpr int kHoldTimeoutsBeforeUnheld = 3;  // consecutive samples whose hold timed out
  double sample_cuda_ms(const std::function<void()>& launch);
  std::shared_ptr<SampleClock> clock_;  // shared_ptr: destructible where SampleClock is incomplete (CPU builds)
  std::shared_ptr<StreamHold> hold_;    // null: samples are taken unheld (hold_note_ says why)
  std::string hold_note_;
  int hold_timeouts_in_a_row_ = 0;
  double last_clock_mhz_ = 0;
};

// Buffer of 2x L2 used for flushing; allocated once per process and per device, outside any point's
// memory accounting (allocate it before taking memory baselines).
void* l2_flush_buffer(int device, std::size_t* bytes);

}  // namespace fa
