// The device pool behind the tracking allocator (measure/device_pool.hpp): freed buffers stay in the
// pool (the driver gets nothing back to scrub between points), what the pool holds unused is not
// counted as a point's memory, and an impossible request is an OutOfMemory, after which the pool works.
#include <catch2/catch.hpp>

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <string>

#include "core/cuda_check.hpp"
#include "kernels/registry.hpp"
#include "measure/device_pool.hpp"
#include "measure/point_runner.hpp"
#include "measure/tracking_allocator.hpp"
#include "tests/gpu/gpu_support.hpp"

namespace {

std::uint64_t driver_free_bytes() {
  std::size_t free_b = 0, total_b = 0;
  FA_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  return free_b;
}

}  // namespace

TEST_CASE("freed device buffers stay in the pool and are reused", "[gpu][measure]") {
  FA_REQUIRE_GPU();
  FA_CUDA_CHECK(cudaSetDevice(0));
  constexpr std::size_t mib = 1 << 20, bytes = 512 * mib;
  fa::DeviceTrackingAllocator alloc;
  void* p = alloc.allocate(bytes, "pool test");
  REQUIRE(p != nullptr);
  FA_CUDA_CHECK(cudaMemset(p, 0x5a, bytes));  // the memory is usable
  FA_CUDA_CHECK(cudaDeviceSynchronize());
  CHECK(alloc.current_bytes() == bytes);

  const std::uint64_t free_in_use = driver_free_bytes();
  alloc.deallocate(p);
  CHECK(alloc.current_bytes() == 0);
  // The driver did not get the buffer back (its free memory did not grow by it); the pool holds it.
  CHECK(driver_free_bytes() < free_in_use + bytes / 2);
  CHECK(fa::device_pool::slack_bytes(0) >= bytes);

  // The next request of the same size is served from the pool: the driver's free memory stays put.
  const std::uint64_t free_before = driver_free_bytes(), slack_before = fa::device_pool::slack_bytes(0);
  void* q = alloc.allocate(bytes, "pool test again");
  REQUIRE(q != nullptr);
  CHECK(driver_free_bytes() + 64 * mib >= free_before);
  CHECK(fa::device_pool::slack_bytes(0) + bytes <= slack_before);  // handed out of the pool's slack
  alloc.deallocate(q);
}

TEST_CASE("an impossible device allocation is OutOfMemory and the pool still works", "[gpu][measure]") {
  FA_REQUIRE_GPU();
  FA_CUDA_CHECK(cudaSetDevice(0));
  fa::DeviceTrackingAllocator alloc;
  std::size_t free_b = 0, total_b = 0;
  FA_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
  CHECK_THROWS_AS(alloc.allocate(2 * total_b, "too large"), fa::OutOfMemory);
  CHECK(cudaGetLastError() == cudaSuccess);  // the failure left no error behind
  void* p = alloc.allocate(1 << 20, "after oom");
  CHECK(p != nullptr);
  alloc.deallocate(p);
}

TEST_CASE("a point's device peak does not depend on what the pool already holds", "[gpu][measure]") {
  FA_REQUIRE_GPU();
  std::unique_ptr<fa::AttentionKernel> kernel;
  for (const char* name : {"standard", "flash", "block_sparse", "cudnn"}) {
    if ((kernel = fa::make_kernel(name))) break;
  }
  REQUIRE(kernel != nullptr);
  fa::Point pt;
  pt.kernel = std::string(kernel->name());
  pt.pass = fa::Pass::fwd;
  pt.problem.batch = 2;
  pt.problem.heads = 8;
  pt.problem.seqlen_q = pt.problem.seqlen_kv = 2048;
  pt.problem.head_dim = 64;
  pt.problem.dtype = fa::DType::fp16;
  fa::RunOptions opt;
  opt.mode = fa::TimingMode::hot;
  opt.rule.min_samples = 5;
  opt.rule.max_time_s = 0.02;
  // The first run in a process also holds what libraries load once (handles, kernel modules): warm up.
  const fa::Row warm = fa::run_point(pt, kernel.get(), opt);
  REQUIRE(warm.status == fa::Status::ok);
  const fa::Row first = fa::run_point(pt, kernel.get(), opt);
  // The earlier runs' buffers are now pool slack; the next run is served from them. Without counting
  // slack as free, its device-wide delta would be about zero.
  REQUIRE(fa::device_pool::slack_bytes(0) > 0);
  const fa::Row second = fa::run_point(pt, kernel.get(), opt);
  REQUIRE(first.status == fa::Status::ok);
  REQUIRE(second.status == fa::Status::ok);
  REQUIRE(first.mem_device_peak_bytes);
  REQUIRE(second.mem_device_peak_bytes);
  INFO("device peak " << *first.mem_device_peak_bytes << " then " << *second.mem_device_peak_bytes << " bytes; io "
                      << *first.mem_io_bytes << ", scratch " << *first.mem_scratch_peak_bytes);
  CHECK(*second.mem_device_peak_bytes >= *first.mem_io_bytes + *first.mem_scratch_peak_bytes);
  CHECK(*second.mem_device_peak_bytes == Approx(*first.mem_device_peak_bytes).margin(4.0 * (1 << 20)));
}

TEST_CASE("a request that fits only without the pool's slack is served", "[gpu][measure]") {
  FA_REQUIRE_GPU();
  FA_CUDA_CHECK(cudaSetDevice(0));
  fa::DeviceTrackingAllocator alloc;
  // Slack of 40 % of the free memory, then a request for 70 %: both do not fit at once, so the pool's
  // slack must go back to the driver before the request can be served (the driver did that itself on
  // an H200; device_pool trims as a fallback).
  const std::uint64_t free0 = driver_free_bytes() + fa::device_pool::slack_bytes(0);
  const std::size_t mib = 1 << 20;
  const std::size_t slack = free0 * 4 / 10 / mib * mib, big = free0 * 7 / 10 / mib * mib;
  alloc.deallocate(alloc.allocate(slack, "slack"));
  REQUIRE(fa::device_pool::slack_bytes(0) >= slack);
  void* p = alloc.allocate(big, "needs the slack");
  REQUIRE(p != nullptr);
  CHECK(fa::device_pool::slack_bytes(0) < slack);
  FA_CUDA_CHECK(cudaMemset(p, 1, mib));
  FA_CUDA_CHECK(cudaDeviceSynchronize());
  alloc.deallocate(p);
}
