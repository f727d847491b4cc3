#pragma once
// The HBM bandwidth ceiling of the GPU a run measures on: a device-to-device copy of buffers far
// larger than L2, timed with events, read + write bytes per second (how docs/perf/h100-anchors.md
// measured the H100's 3.02 TB/s, the IO model's default). A memory-bound row's pct_peak_bandwidth is
// its achieved HBM bandwidth against this ceiling of its own GPU, not another model's.
#include <cstdint>

namespace fa {

// Best of a few timed copies of `bytes` (read + write counted: 2 x bytes moved per copy) on the
// device `device` (made current), in bytes per second; 0 when the buffers cannot be had (the caller keeps its
// default and says so). The buffers come from the device pool and stay there for the sweep.
double measure_copy_ceiling(int device, std::uint64_t bytes = 1ull << 30);

}  // namespace fa
