#pragma once
// Times one invocation of a point: host clock for host kernels; CUDA events on the point's stream
// for GPU kernels. In cold mode (the default) the L2 cache is flushed before every sample by writing a
// buffer of twice the L2 size, so each sample reads its operands from HBM, as a real model does
// between layers; hot mode leaves the cache warm (back-to-back launches).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/kernel.hpp"

namespace fa {

class SampleClock;

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

 private:
  void flush_l2();
  Backend backend_;
  void* stream_;
  TimingMode mode_;
  void* start_ = nullptr;  // cudaEvent_t
  void* stop_ = nullptr;
  std::shared_ptr<SampleClock> clock_;  // shared_ptr: destructible where SampleClock is incomplete (CPU builds)
  double last_clock_mhz_ = 0;
};

// Buffer of 2x L2 used for flushing; allocated once per process and per device, outside any point's
// memory accounting (allocate it before taking memory baselines).
void* l2_flush_buffer(int device, std::size_t* bytes);

}  // namespace fa
