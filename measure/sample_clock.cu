#include <cuda_runtime_api.h>

#include <algorithm>
#include <vector>

#include "core/cuda_check.hpp"
#include "measure/sample_clock.hpp"

namespace fa {
namespace {

// One SM's reading: which sample it belongs to, its cycle counter and the global nanosecond timer.
struct Slot {
  unsigned long long seq, cycles, ns;
};

__device__ unsigned long long global_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

__device__ unsigned sm_id() {
  unsigned id;
  asm volatile("mov.u32 %0, %%smid;" : "=r"(id));
  return id;
}

// Launched with more blocks than SMs so that every SM runs at least one; the first block to reach an
// SM claims its slot for this sample (owner word) and the others leave, so a slot's cycles and ns come
// from one reading. Waits for a %globaltimer tick, then reads the cycle counter right after it.
__global__ void read_sm_clocks(Slot* slots, unsigned long long* owner, unsigned long long seq, unsigned sms) {
  const unsigned sm = sm_id();
  if (sm >= sms) return;
  if (atomicExch(&owner[sm], seq) == seq) return;
  const unsigned long long t0 = global_ns();
  unsigned long long t = t0;
  while (t == t0) t = global_ns();
  const long long c = clock64();
  slots[sm] = Slot{seq, static_cast<unsigned long long>(c), t};
}

}  // namespace

SampleClock::SampleClock(void* stream, int device) : stream_(stream) {
  FA_CUDA_CHECK(cudaDeviceGetAttribute(&sms_, cudaDevAttrMultiProcessorCount, device));
  // Layout: begin slots [sms], end slots [sms], begin owners [sms], end owners [sms].
  const std::size_t bytes = 2 * sms_ * sizeof(Slot) + 2 * sms_ * sizeof(unsigned long long);
  FA_CUDA_CHECK(cudaMalloc(&device_slots_, bytes));
  FA_CUDA_CHECK(cudaMemset(device_slots_, 0, bytes));
  FA_CUDA_CHECK(cudaMallocHost(&host_slots_, 2 * sms_ * sizeof(Slot)));
}

SampleClock::~SampleClock() {
  // No throw from a destructor; failures here leave nothing behind that matters.
  if (device_slots_) cudaFree(device_slots_);
  if (host_slots_) cudaFreeHost(host_slots_);
}

void SampleClock::begin() {
  ++seq_;
  auto* slots = static_cast<Slot*>(device_slots_);
  auto* owners = reinterpret_cast<unsigned long long*>(slots + 2 * sms_);
  read_sm_clocks<<<2 * sms_, 1, 0, static_cast<cudaStream_t>(stream_)>>>(slots, owners, seq_, sms_);
  FA_CUDA_CHECK_LAUNCH();
}

void SampleClock::end() {
  auto* slots = static_cast<Slot*>(device_slots_);
  auto* owners = reinterpret_cast<unsigned long long*>(slots + 2 * sms_);
  auto s = static_cast<cudaStream_t>(stream_);
  read_sm_clocks<<<2 * sms_, 1, 0, s>>>(slots + sms_, owners + sms_, seq_, sms_);
  FA_CUDA_CHECK_LAUNCH();
  FA_CUDA_CHECK(cudaMemcpyAsync(host_slots_, slots, 2 * sms_ * sizeof(Slot), cudaMemcpyDeviceToHost, s));
}

double SampleClock::mhz() const {
  const auto* h = static_cast<const Slot*>(host_slots_);
  std::vector<double> per_sm;
  per_sm.reserve(sms_);
  for (int i = 0; i < sms_; ++i) {
    const Slot& a = h[i];
    const Slot& b = h[sms_ + i];
    if (a.seq != seq_ || b.seq != seq_ || b.ns <= a.ns || b.cycles <= a.cycles) continue;
    per_sm.push_back(static_cast<double>(b.cycles - a.cycles) * 1000.0 / static_cast<double>(b.ns - a.ns));
  }
  if (per_sm.empty()) return 0;
  auto mid = per_sm.begin() + per_sm.size() / 2;
  std::nth_element(per_sm.begin(), mid, per_sm.end());
  return *mid;
}

}  // namespace fa
