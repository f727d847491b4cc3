#pragma once
// Device memory for operands and scratch comes from one stream-ordered pool per GPU that keeps what is
// freed (release threshold: unlimited) instead of giving it back to the driver after every point.
// Why: memory returned to the driver is scrubbed in the background, and the scrub takes about an eighth
// of the HBM bandwidth from whatever runs next. On an H200 a memory-bound copy ran 11 % slower for about
// 2.5 ms per GB freed just before it (docs/perf/2026-11-28-h200-session9.md); a sweep that freed a
// point's unfused S and P timed the next point in that state for a few samples, then not: medians of
// identical sweeps disagreed by up to 8 %. Reusing pool memory is what PyTorch's caching allocator does too.
// FA_DEVICE_POOL=0 turns the pool off (plain cudaMalloc/cudaFree per buffer), to compare the two.
#include <cstddef>
#include <cstdint>

namespace fa::device_pool {

// On the current device. Returns nullptr when the memory is not there even after the pool gave back
// its unused memory (the caller reports out-of-memory); throws CudaError on any other failure.
void* allocate(std::size_t bytes);

// Waits for the device first (a buffer may still be read by work on any stream, as cudaFree would
// wait), then returns the buffer to its pool. Errors are ignored: this runs on teardown paths.
void deallocate(void* p) noexcept;

// Bytes the device's pool holds but has not handed out: free for the next allocation, so the harness
// counts them as free, not as the point's memory. 0 for a device whose pool was never used.
std::uint64_t slack_bytes(int device);

}  // namespace fa::device_pool
