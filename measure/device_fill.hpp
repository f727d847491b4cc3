#pragma once
// Device-side fills used by the harness (CUDA builds only).
#include <cstdint>

#include "core/dtype.hpp"

namespace fa {

// Normal(0, stddev) values of dtype `d` (fp8: e4m3, saturating at 448; float for lse-like buffers when d == fp32), counter-based
// (Philox) so the fill is reproducible for a seed and independent of launch shape.
void device_fill_normal(void* ptr, DType d, std::int64_t n, std::uint64_t seed, float stddev, void* stream);

}  // namespace fa
