// The sampler's per-sample SM clock (measure/sample_clock.hpp) and the cold sampler's input
// rotation (measure/input_rotation.hpp) on a real GPU.
#include <catch2/catch.hpp>

#include <cuda_runtime_api.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "core/cuda_check.hpp"
#include "kernels/registry.hpp"
#include "measure/point_runner.hpp"
#include "measure/sampler.hpp"
#include "measure/sm_clock.hpp"
#include "measure/stream.hpp"
#include "tests/gpu/gpu_support.hpp"

namespace {

__global__ void spin_for(unsigned long long ns) {
  unsigned long long t0, t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t0));
  do {
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  } while (t - t0 < ns);
}

// The first kernel family built here that the rotation test can use.
std::unique_ptr<fa::AttentionKernel> some_gpu_kernel() {
  for (const char* name : {"flash", "standard", "block_sparse", "cudnn"}) {
    if (auto k = fa::make_kernel(name)) return k;
  }
  return nullptr;
}

fa::Point small_point(const std::string& kernel) {
  fa::Point pt;
  pt.kernel = kernel;
  pt.pass = fa::Pass::fwd;
  pt.problem.batch = 1;
  pt.problem.heads = 4;
  pt.problem.seqlen_q = pt.problem.seqlen_kv = 512;
  pt.problem.head_dim = 64;
  pt.problem.dtype = fa::DType::bf16;
  return pt;
}

}  // namespace

TEST_CASE("sampler reads the SM clock of every sample", "[gpu][measure]") {
  FA_REQUIRE_GPU();
  fa::StreamHandle stream(true);
  fa::spin_gpu(0.2, stream.get());
  fa::Sampler sampler(fa::Backend::cuda, stream.get(), fa::TimingMode::cold, 0);
  auto s = static_cast<cudaStream_t>(stream.get());
  const auto launch = [&] {
    spin_for<<<1, 1, 0, s>>>(2'000'000);  // 2 ms
    FA_CUDA_CHECK_LAUNCH();
  };
  const double ms = sampler.sample_ms(launch);
  const double during = sampler.last_clock_mhz();
  const double after = fa::measure_sm_clock_mhz(stream.get());
  INFO("sample " << ms << " ms at " << during << " MHz; probe after: " << after << " MHz");
  CHECK(ms > 1.9);
  CHECK(during > 300);
  CHECK(during < 4000);
  CHECK(during == Approx(after).epsilon(0.15));
}

TEST_CASE("cold timing rotates operands that fit in L2, hot timing does not", "[gpu][measure]") {
  FA_REQUIRE_GPU();
  auto kernel = some_gpu_kernel();
  REQUIRE(kernel != nullptr);
  const fa::Point pt = small_point(std::string(kernel->name()));
  fa::RunOptions opt;
  opt.rule.min_samples = 10;
  opt.rule.max_time_s = 0.05;

  opt.mode = fa::TimingMode::cold;
  const fa::Row cold = fa::run_point(pt, kernel.get(), opt);
  REQUIRE(cold.status == fa::Status::ok);
  INFO("cold timing mode: " << cold.timing_mode << "; reason: " << cold.reason);
  CHECK(cold.timing_mode.find("input copies rotated") != std::string::npos);
  CHECK(cold.samples_clock_mhz.size() == cold.samples_ms.size());
  CHECK(cold.sm_clock_sample_mhz > 300);
  CHECK(cold.samples_dropped >= 0);

  opt.mode = fa::TimingMode::hot;
  const fa::Row hot = fa::run_point(pt, kernel.get(), opt);
  REQUIRE(hot.status == fa::Status::ok);
  CHECK(hot.timing_mode == "hot");
  // The extra copies are made after the memory readings: the rows report one invocation's memory.
  REQUIRE(cold.mem_device_peak_bytes);
  REQUIRE(hot.mem_device_peak_bytes);
  CHECK(*cold.mem_device_peak_bytes <= *hot.mem_device_peak_bytes + 4.0 * (1 << 20));
  CHECK(cold.mem_scratch_peak_bytes == hot.mem_scratch_peak_bytes);
}

TEST_CASE("a held sample times the GPU's work, not the host's enqueueing", "[gpu][measure]") {
  FA_REQUIRE_GPU();
  fa::StreamHandle stream(true);
  auto s = static_cast<cudaStream_t>(stream.get());
  fa::Sampler sampler(fa::Backend::cuda, stream.get(), fa::TimingMode::hot, 0);
  // Two 50 us kernels with 30 ms of host work between their launches: held, the second is queued before
  // the GPU starts the first, so the sample is about 0.1 ms; unheld it would be over 30 ms.
  const auto slow_enqueue = [&] {
    spin_for<<<1, 1, 0, s>>>(50'000);
    FA_CUDA_CHECK_LAUNCH();
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    spin_for<<<1, 1, 0, s>>>(50'000);
    FA_CUDA_CHECK_LAUNCH();
  };
  const double ms = sampler.sample_ms(slow_enqueue);
  CHECK(sampler.hold_note().empty());
  CHECK(ms >= 0.1);
  CHECK(ms < 15.0);  // the 30 ms of enqueueing stayed out (a 2x margin against any GPU's launch gaps)
}

TEST_CASE("an invocation that synchronises while enqueued is timed unheld, and says so", "[gpu][measure]") {
  FA_REQUIRE_GPU();
  fa::StreamHandle stream(true);
  auto s = static_cast<cudaStream_t>(stream.get());
  fa::Sampler sampler(fa::Backend::cuda, stream.get(), fa::TimingMode::hot, 0);
  int calls = 0;
  bool always = false;
  const auto synchronising = [&] {
    spin_for<<<1, 1, 0, s>>>(100'000);
    FA_CUDA_CHECK_LAUNCH();
    // Would wait on the hold for ever without its timeout.
    if (always || calls++ == 0) FA_CUDA_CHECK(cudaStreamSynchronize(s));
  };
  // Once (as a kernel's first launch under lazy loading): that sample is retaken unheld, the next is held.
  const double first = sampler.sample_ms(synchronising);
  CHECK(first >= 0.1);
  CHECK(first < 40.0);  // the retaken sample, not the hold's 50 ms timeout
  CHECK(sampler.hold_note().empty());
  // Every time: after a few timeouts in a row the point is timed unheld, and the note says so.
  always = true;
  for (int i = 0; i < 3; ++i) {
    const double ms = sampler.sample_ms(synchronising);
    CHECK(ms >= 0.1);
    CHECK(ms < 40.0);
  }
  CHECK_FALSE(sampler.hold_note().empty());
  const double unheld = sampler.sample_ms(synchronising);
  CHECK(unheld >= 0.1);
  CHECK(unheld < 40.0);
}

TEST_CASE("hot timing with --graph replays one captured invocation, for a fused and a multi-kernel family",
          "[gpu][measure]") {
  FA_REQUIRE_GPU();
  int families = 0;
  for (const char* name : {"flash", "standard"}) {
    auto kernel = fa::make_kernel(name);
    if (!kernel) continue;
    ++families;
    const fa::Point pt = small_point(name);
    fa::RunOptions opt;
    opt.rule.min_samples = 10;
    opt.rule.max_time_s = 0.05;
    opt.mode = fa::TimingMode::hot;
    opt.graph = true;
    const fa::Row graphed = fa::run_point(pt, kernel.get(), opt);
    INFO(name << ": timing mode " << graphed.timing_mode << "; reason: " << graphed.reason);
    REQUIRE(graphed.status == fa::Status::ok);
    CHECK(graphed.timing_mode == "hot (cuda graph)");
    CHECK(graphed.samples_ms.size() >= 10);
    opt.graph = false;
    const fa::Row plain = fa::run_point(pt, kernel.get(), opt);
    REQUIRE(plain.status == fa::Status::ok);
    CHECK(plain.timing_mode == "hot");
    // The same work: a replay is not much faster or slower than plain launches (no launch gaps at most).
    CHECK(graphed.time.median_ms == Approx(plain.time.median_ms).epsilon(0.5));
  }
  REQUIRE(families > 0);
}
