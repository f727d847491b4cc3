#include "measure/sampler.hpp"

#include <chrono>
#include <map>

#if FA_HAS_CUDA
#include <cuda_runtime_api.h>

#include "core/cuda_check.hpp"
#include "measure/sample_clock.hpp"
#include "measure/stream_hold.hpp"
#endif

namespace fa {

std::string to_string(TimingMode m) { return m == TimingMode::cold ? "cold" : "hot"; }

void* l2_flush_buffer(int device, std::size_t* bytes) {
#if FA_HAS_CUDA
  struct Flush {
    void* ptr = nullptr;
    std::size_t bytes = 0;
  };
  static std::map<int, Flush> buffers;  // process lifetime: freed by the driver at exit
  Flush& f = buffers[device];
  if (!f.ptr) {
    int l2 = 0;
    FA_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device));
    f.bytes = 2 * static_cast<std::size_t>(l2 > 0 ? l2 : (64 << 20));
    FA_CUDA_CHECK(cudaMalloc(&f.ptr, f.bytes));
  }
  *bytes = f.bytes;
  return f.ptr;
#else
  (void)device;
  *bytes = 0;
  return nullptr;
#endif
}

Sampler::Sampler(Backend backend, void* stream, TimingMode mode, int device)
    : backend_(backend), stream_(stream), mode_(mode) {
#if FA_HAS_CUDA
  if (backend_ == Backend::cuda) {
    cudaEvent_t a, b;
    FA_CUDA_CHECK(cudaEventCreate(&a));
    FA_CUDA_CHECK(cudaEventCreate(&b));
    start_ = a;
    stop_ = b;
    clock_ = std::make_shared<SampleClock>(stream_, device);
    hold_ = std::make_shared<StreamHold>(stream_);
    if (mode_ == TimingMode::cold) {
      std::size_t n = 0;
      (void)l2_flush_buffer(device, &n);
    }
  }
#else
  (void)device;
#endif
}

Sampler::~Sampler() {
#if FA_HAS_CUDA
  if (start_) cudaEventDestroy(static_cast<cudaEvent_t>(start_));
  if (stop_) cudaEventDestroy(static_cast<cudaEvent_t>(stop_));
#endif
}

std::string Sampler::mode_name() const {
  if (backend_ == Backend::host) return "host";
  return to_string(mode_);
}

void Sampler::flush_l2() {
#if FA_HAS_CUDA
  int dev = 0;
  FA_CUDA_CHECK(cudaGetDevice(&dev));
  std::size_t n = 0;
  void* buf = l2_flush_buffer(dev, &n);
  FA_CUDA_CHECK(cudaMemsetAsync(buf, 0, n, static_cast<cudaStream_t>(stream_)));
#endif
}

double Sampler::sample_ms(const std::function<void()>& launch) {
  if (backend_ == Backend::host) {
    const auto t0 = std::chrono::steady_clock::now();
    launch();
    const auto t1 = std::chrono::steady_clock::now();
    return std::chrono::duration<double, std::milli>(t1 - t0).count();
  }
#if FA_HAS_CUDA
  const double ms = sample_cuda_ms(launch);
  if (!hold_ || !hold_->timed_out()) {
    hold_timeouts_in_a_row_ = 0;
    return ms;
  }
  // launch() waited for the GPU while the hold kept it busy, so this sample timed the hold's timeout:
  // take it again unheld. Once: a kernel's first launch (lazy module loading). Every time: run()
  // synchronises, and the point's samples are taken unheld from here on.
  std::shared_ptr<StreamHold> held = std::move(hold_);
  const double retaken = sample_cuda_ms(launch);
  if (++hold_timeouts_in_a_row_ < kHoldTimeoutsBeforeUnheld) {
    hold_ = std::move(held);
  } else {
    hold_note_ = "unheld: the invocation waits for the GPU while it is enqueued, so samples include enqueueing";
  }
  return retaken;
#else
  (void)launch;
  return 0;
#endif
}

double Sampler::sample_cuda_ms(const std::function<void()>& launch) {
#if FA_HAS_CUDA
  auto s = static_cast<cudaStream_t>(stream_);
  if (hold_) hold_->hold();
  // Whatever throws while the sample is enqueued, the hold is let go and the stream drained before the
  // exception leaves: a spinning hold would stall every later synchronisation (device frees, the next
  // sample) and could time out into the next sample's flags.
  struct ReleaseOnUnwind {
    StreamHold* hold;
    cudaStream_t stream;
    ~ReleaseOnUnwind() {
      if (hold == nullptr) return;
      hold->release();
      (void)cudaStreamSynchronize(stream);
    }
  } guard{hold_.get(), s};
  if (mode_ == TimingMode::cold) flush_l2();
  // The clock probes sit outside the events: they cost the sample nothing.
  clock_->begin();
  FA_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(start_), s));
  launch();
  FA_CUDA_CHECK(cudaEventRecord(static_cast<cudaEvent_t>(stop_), s));
  clock_->end();
  guard.hold = nullptr;
  if (hold_) hold_->release();
  FA_CUDA_CHECK(cudaStreamSynchronize(s));
  float ms = 0;
  FA_CUDA_CHECK(cudaEventElapsedTime(&ms, static_cast<cudaEvent_t>(start_), static_cast<cudaEvent_t>(stop_)));
  last_clock_mhz_ = clock_->mhz();
  return ms;
#else
  (void)launch;
  return 0;
#endif
}

}  // namespace fa
