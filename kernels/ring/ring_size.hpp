#pragma once
// How many GPUs the ring spans and which ones.
#include <vector>

namespace fa::ring {

// P: the value of the environment variable FA_RING_GPUS when it is set (an integer from 1 to the
// number of visible CUDA devices), else every visible device. Throws std::invalid_argument for a bad
// FA_RING_GPUS, std::runtime_error when no CUDA device is visible.
int ring_size_from_environment();

// The devices of a ring of `size` GPUs that starts at `first` (the harness's device, which holds the
// full operands): first, first + 1, ... wrapping around the `count` visible devices.
std::vector<int> ring_devices(int first, int size, int count);

}  // namespace fa::ring
