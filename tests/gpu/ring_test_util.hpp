#pragma once
// Helpers of the ring family's GPU tests (test_ring.cpp, test_ring_steps.cpp).
#include <cstdint>

#include "kernels/ring/ring_size.hpp"

namespace fa::testing {

// The ring size the kernel will use, found the same way (FA_RING_GPUS or every visible device).
inline int ring_gpus() { return fa::ring::ring_size_from_environment(); }

// 2 * 97 query rows per GPU: a multiple of 2P, not of any flash or flash3 tile (64, 128 or 192 rows).
// Zigzag chunks are then 97 rows.
inline std::int64_t ragged_seqlen(int gpus) { return static_cast<std::int64_t>(gpus) * 2 * 97; }

}  // namespace fa::testing
