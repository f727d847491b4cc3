#pragma once
// The average SM clock over one timed sample, so that samples taken while the GPU's power management
// had lowered the clock can be recognised (measure/throttle_screen.hpp decides what to do with them).
// Read the way nvbench does: a probe kernel with one block per SM records each SM's clock64() and
// %globaltimer just before the sample, another one just after; the clock is the median over SMs of
// cycles / nanoseconds between the two. Each reading waits for a %globaltimer tick first, so the
// timer's coarse update step does not enter the interval. Reads clocks, never sets them.
#include <cstdint>

namespace fa {

class SampleClock {
 public:
  // `stream` is the cudaStream_t the sample runs on; `device` the GPU.
  SampleClock(void* stream, int device);
  ~SampleClock();
  SampleClock(const SampleClock&) = delete;
  SampleClock& operator=(const SampleClock&) = delete;

  void begin();  // enqueue before the sample's start event
  void end();    // enqueue after the sample's stop event (also enqueues the copy to the host)
  // MHz over the last begin()..end(), once the stream has been synchronised; 0 when no SM had both
  // readings (then the sample is kept unscreened).
  double mhz() const;

 private:
  void* stream_;
  int sms_ = 0;
  std::uint64_t seq_ = 0;
  void* device_slots_ = nullptr;  // Slot[2 * sms] + owner words, see sample_clock.cu
  void* host_slots_ = nullptr;    // pinned copy of the Slot arrays
};

}  // namespace fa
