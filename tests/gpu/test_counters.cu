// Hardware counters from inside the process (measure/counters.hpp) against known traffic: a 1 GiB
// device-to-device copy must read and write 1 GiB of DRAM (within 2%), and the `standard` forward
// must land near the IO model's prediction (measure/io_model.hpp). Under ncu (which owns the
// counters then) the same test cases check that create() refuses, and launch the work once inside
// an NVTX range "fa_counters" so that `ncu --nvtx --nvtx-include fa_counters/` measures exactly it
// (docs/perf/counters-notes.md has the commands and the numbers).
#include <catch2/catch.hpp>

#include <cuda_runtime_api.h>
#include <nvtx3/nvToolsExt.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/cuda_check.hpp"
#include "kernels/registry.hpp"
#include "measure/counters.hpp"
#include "measure/counters_l2_scrub.hpp"
#include "measure/io_model.hpp"
#include "measure/point_setup.hpp"
#include "measure/sampler.hpp"
#include "measure/stream.hpp"
#include "tests/gpu/gpu_support.hpp"

namespace {

constexpr std::size_t kGiB = std::size_t{1} << 30;

__global__ void copy_kernel(const int4* __restrict__ src, int4* __restrict__ dst, std::size_t n) {
  for (std::size_t i = blockIdx.x * static_cast<std::size_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<std::size_t>(gridDim.x) * blockDim.x)
    dst[i] = src[i];
}

struct DeviceBuffer {
  void* ptr = nullptr;
  explicit DeviceBuffer(std::size_t bytes) { FA_CUDA_CHECK(cudaMalloc(&ptr, bytes)); }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
};

// Before-pass actions for sessions without CounterOptions::cold_l2: the timing sampler's memset
// flush, or the read-only scrub the session itself uses.
struct Flushers {
  cudaStream_t stream;
  void* buf;
  std::size_t bytes;
  explicit Flushers(cudaStream_t s) : stream(s) { buf = fa::l2_flush_buffer(0, &bytes); }
  void memset_flush() { FA_CUDA_CHECK(cudaMemsetAsync(buf, 0, bytes, stream)); }
  void scrub() { fa::scrub_l2(0, stream); }
};

void print_values(const char* what, const fa::CounterValues& v) {
  std::printf("COUNTERS %-34s passes=%d drained=%.4g", what, v.passes, v.drained_write_bytes);
  for (const auto& [name, value] : v.values) std::printf("  %s=%.6g", name.c_str(), value);
  if (!v.note.empty()) std::printf("  note: %s", v.note.c_str());
  std::printf("\n");
}

// Under ncu: our session must step aside, with a reason, both from the environment check and from
// CUPTI itself. Returns true when running under a profiler (the caller then only runs the work).
bool check_refusal_under_profiler() {
  if (!fa::running_under_ncu()) return false;
  std::string why;
  CHECK(fa::CounterSession::create(0, {}, &why) == nullptr);
  std::printf("UNDER-PROFILER env refusal: %s\n", why.c_str());
  CHECK(why.find("profiling tool") != std::string::npos);
  fa::CounterOptions opt;
  opt.refuse_under_profiler = false;
  std::string why_cupti;
  CHECK(fa::CounterSession::create(0, {}, &why_cupti, opt) == nullptr);
  std::printf("UNDER-PROFILER CUPTI refusal: %s\n", why_cupti.c_str());
  CHECK(why_cupti.find("CUPTI_ERROR") != std::string::npos);
  return true;
}

void within(const fa::CounterValues& v, const char* metric, double expect, double rel) {
  INFO(metric << " note: " << v.note);
  const auto got = v.get(metric);
  REQUIRE(got);
  CHECK(*got == Approx(expect).epsilon(rel));
}

}  // namespace

TEST_CASE("counters: 1 GiB device copy reads and writes 1 GiB of DRAM", "[gpu][counters]") {
  FA_REQUIRE_GPU();
  FA_CUDA_CHECK(cudaSetDevice(0));
  fa::StreamHandle stream_h(true);
  const auto stream = static_cast<cudaStream_t>(stream_h.get());
  DeviceBuffer src(kGiB), dst(kGiB);
  FA_CUDA_CHECK(cudaMemsetAsync(src.ptr, 1, kGiB, stream));
  FA_CUDA_CHECK(cudaMemsetAsync(dst.ptr, 0, kGiB, stream));
  Flushers flush(stream);
  FA_CUDA_CHECK(cudaStreamSynchronize(stream));
  const std::size_t n4 = kGiB / sizeof(int4);
  auto memcpy_once = [&] { FA_CUDA_CHECK(cudaMemcpyAsync(dst.ptr, src.ptr, kGiB, cudaMemcpyDeviceToDevice, stream)); };
  auto kernel_once = [&] {
    copy_kernel<<<132 * 8, 512, 0, stream>>>(static_cast<const int4*>(src.ptr), static_cast<int4*>(dst.ptr), n4);
    FA_CUDA_CHECK_LAUNCH();
  };

  if (check_refusal_under_profiler()) {
    flush.scrub();
    FA_CUDA_CHECK(cudaStreamSynchronize(stream));
    nvtxRangePushA("fa_counters");
    kernel_once();
    FA_CUDA_CHECK(cudaStreamSynchronize(stream));
    nvtxRangePop();
    return;
  }

  const double gib = static_cast<double>(kGiB);
  {
    std::string why;
    auto session = fa::CounterSession::create(0, {}, &why);  // cold_l2: scrub before, drain after
    INFO("create: " << why);
    REQUIRE(session != nullptr);
    std::printf("COUNTERS chip=%s passes=%d\n", session->chip().c_str(), session->passes());

    const fa::CounterValues a = session->measure("memcpy 1GiB", memcpy_once);
    print_values("cudaMemcpyAsync D2D (cold_l2)", a);
    within(a, "dram__bytes_read.sum", gib, 0.02);
    within(a, "dram__bytes_write.sum", gib, 0.02);

    const fa::CounterValues b = session->measure("copy kernel 1GiB", kernel_once);
    print_values("copy kernel (cold_l2)", b);
    within(b, "dram__bytes_read.sum", gib, 0.02);
    within(b, "dram__bytes_write.sum", gib, 0.02);
    REQUIRE(b.get("gpu__time_duration.sum"));
    CHECK(*b.get("gpu__time_duration.sum") > 0.3e6);  // ns: 2 GiB at <= 3.35 TB/s takes >= 0.64 ms
    CHECK(*b.get("lts__t_bytes.sum") >= 2 * gib);     // at least the copy's own L2 traffic
    CHECK(b.drained_write_bytes > 0);                 // some of the copy's writes were still in L2
    CHECK(b.drained_write_bytes < 0.1 * gib);
  }
  // Informational: the same copy in a plain range (no drain) after each before-pass choice.
  fa::CounterOptions plain;
  plain.cold_l2 = false;
  std::string why;
  auto session = fa::CounterSession::create(0, {}, &why, plain);
  INFO("create (plain): " << why);
  REQUIRE(session != nullptr);
  print_values("copy kernel, plain, scrub before", session->measure("copy (scrub)", kernel_once, [&] { flush.scrub(); }));
  print_values("copy kernel, plain, no flush", session->measure("copy (no flush)", kernel_once));
  print_values("copy kernel, plain, memset flush",
               session->measure("copy (memset flush)", kernel_once, [&] { flush.memset_flush(); }));
}

TEST_CASE("counters: multi-pass metric sets replay the launch", "[gpu][counters]") {
  FA_REQUIRE_GPU();
  if (fa::running_under_ncu()) return;  // covered by the copy test's refusal checks
  fa::StreamHandle stream_h(true);
  const auto stream = static_cast<cudaStream_t>(stream_h.get());
  const std::size_t bytes = std::size_t{256} << 20;
  DeviceBuffer src(bytes), dst(bytes);
  FA_CUDA_CHECK(cudaMemsetAsync(src.ptr, 1, bytes, stream));
  std::vector<std::string> metrics = fa::default_counter_metrics();
  for (const char* m : {"sm__inst_executed.sum", "smsp__inst_executed.sum", "sm__cycles_elapsed.avg",
                        "lts__t_sector_hit_rate.pct", "dram__throughput.avg.pct_of_peak_sustained_elapsed",
                        "l1tex__t_bytes.sum", "lts__t_sectors_srcunit_tex_op_read.sum",
                        "lts__t_sectors_srcunit_tex_op_write.sum", "sm__warps_active.avg.pct_of_peak_sustained_active"})
    metrics.push_back(m);
  std::string why;
  auto session = fa::CounterSession::create(0, metrics, &why);
  INFO("create: " << why);
  REQUIRE(session != nullptr);
  int launches = 0, befores = 0;
  const fa::CounterValues v = session->measure(
      "copy 256 MiB",
      [&] {
        ++launches;
        copy_kernel<<<132 * 8, 512, 0, stream>>>(static_cast<const int4*>(src.ptr), static_cast<int4*>(dst.ptr),
                                                 bytes / sizeof(int4));
        FA_CUDA_CHECK_LAUNCH();
      },
      [&] { ++befores; });
  print_values("multi-pass copy 256 MiB", v);
  CHECK(session->passes() >= 1);
  CHECK(v.passes == session->passes());
  CHECK(launches == v.passes);
  CHECK(befores == v.passes);
  within(v, "dram__bytes_read.sum", static_cast<double>(bytes), 0.02);
  // Seen +1.8% on the H100 (the drain's ~20 MB is a larger share of 256 MiB than of 1 GiB).
  within(v, "dram__bytes_write.sum", static_cast<double>(bytes), 0.03);
  REQUIRE(v.get("l1tex__t_bytes.sum"));
  CHECK(*v.get("l1tex__t_bytes.sum") >= 2.0 * bytes);
}

TEST_CASE("counters: an unknown metric is refused by name", "[gpu][counters]") {
  FA_REQUIRE_GPU();
  if (fa::running_under_ncu()) return;
  std::string why;
  auto s = fa::CounterSession::create(0, {"dram__bytes_read.sum", "fa_no_such_metric.sum"}, &why);
  std::printf("COUNTERS unknown metric: %s\n", why.c_str());
  CHECK(s == nullptr);
  CHECK(why.find("fa_no_such_metric.sum") != std::string::npos);
  CHECK(why.find("dram__bytes_read.sum") == std::string::npos);  // only the bad one is named
  // A new session still works after the failed one (its profiler object was released).
  auto ok = fa::CounterSession::create(0, {}, &why);
  INFO(why);
  CHECK(ok != nullptr);
}

namespace {

// The standard family's point of the counter tests: B4 H8 N2048 D64 fp16, S and P far above L2.
fa::Point standard_point(fa::Pass pass, double dropout) {
  fa::Point pt;
  pt.kernel = "standard";
  pt.pass = pass;
  pt.problem.batch = 4, pt.problem.heads = 8, pt.problem.seqlen_q = 2048, pt.problem.seqlen_kv = 2048;
  pt.problem.head_dim = 64;
  pt.problem.dtype = fa::DType::fp16;
  pt.problem.dropout = dropout;
  return pt;
}

// The columns a row derives from the counters and the model, printed for the perf notes.
void print_derived(const fa::CounterValues& v, const fa::IoPrediction& model, const fa::Problem& p) {
  fa::Row row;
  fa::apply_counters(v, row);
  row.io_model_bytes = model.hbm_bytes;
  row.flops = 4.0 * p.batch * p.heads * p.seqlen_q * p.seqlen_kv * p.head_dim;
  row.time.median_ms = *row.counter_time_ms;
  const fa::IoDerived d = fa::derive_io(row, fa::IoModelParams{});
  std::printf("DERIVED time %.4f ms, %.1f GB/s (%.1f%% of peak), AI %.1f FLOP/B, %.1f%% of GEMM peak, "
              "measured/model %.3f\n",
              row.time.median_ms, *d.achieved_hbm_gbps, *d.pct_peak_bandwidth, *d.arithmetic_intensity,
              *d.pct_peak_flops, *d.bytes_over_model);
}

// Informational: the backward pass (with and without dropout) against the model, each in its own session.
void print_backward_against_model(fa::AttentionKernel& kernel, void* stream) {
  for (double dropout : {0.0, 0.1}) {
    const fa::Point bp = standard_point(fa::Pass::bwd, dropout);
    const std::unique_ptr<fa::PointSetup> setup = fa::set_up_point(kernel, bp, fa::PointInputs{43}, {stream, 0});
    setup->run().run();
    FA_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)));
    std::string why;
    auto session = fa::CounterSession::create(0, {}, &why);
    REQUIRE(session != nullptr);
    const fa::CounterValues bv = session->measure(fa::point_label(bp), [&] { setup->run().run(); });
    const fa::IoPrediction bm = fa::predict_io(bp, "standard", fa::IoModelParams{});
    print_values(fa::point_label(bp).c_str(), bv);
    if (bv.ok())
      std::printf("COUNTERS %s: measured read %.4g write %.4g; model read %.4g write %.4g; measured/model %.3f\n",
                  fa::point_label(bp).c_str(), *bv.get("dram__bytes_read.sum"), *bv.get("dram__bytes_write.sum"),
                  bm.hbm_read_bytes, bm.hbm_write_bytes,
                  (*bv.get("dram__bytes_read.sum") + *bv.get("dram__bytes_write.sum")) / bm.hbm_bytes);
  }
}

}  // namespace

TEST_CASE("counters: standard forward bytes vs the IO model", "[gpu][counters][standard_fwd]") {
  FA_REQUIRE_GPU();
  auto kernel = fa::make_kernel("standard");
  if (!kernel) {
    WARN("the standard family is not built here: nothing to measure");
    return;
  }
  const fa::Point pt = standard_point(fa::Pass::fwd, 0.0);
  fa::StreamHandle stream_h(true);
  const auto stream = static_cast<cudaStream_t>(stream_h.get());
  const std::unique_ptr<fa::PointSetup> setup = fa::set_up_point(*kernel, pt, fa::PointInputs{42}, {stream, 0});
  setup->run().run();  // warm-up: cuBLAS heuristics and module loads stay out of the range
  Flushers flush(stream);
  FA_CUDA_CHECK(cudaStreamSynchronize(stream));

  const fa::IoPrediction model = fa::predict_io(pt, "standard", fa::IoModelParams{});
  std::printf("MODEL standard fwd %s: hbm %.4g B (read %.4g, write %.4g), global %.4g B\n",
              fa::point_label(pt).c_str(), model.hbm_bytes, model.hbm_read_bytes, model.hbm_write_bytes,
              model.global_bytes);

  if (check_refusal_under_profiler()) {
    flush.scrub();
    FA_CUDA_CHECK(cudaStreamSynchronize(stream));
    nvtxRangePushA("fa_counters");
    setup->run().run();
    FA_CUDA_CHECK(cudaStreamSynchronize(stream));
    nvtxRangePop();
    return;
  }

  std::string why;
  auto session = fa::CounterSession::create(0, {}, &why);
  INFO("create: " << why);
  REQUIRE(session != nullptr);
  const fa::CounterValues v = session->measure(fa::point_label(pt), [&] { setup->run().run(); });
  print_values("standard fwd B4 H8 N2048 D64 fp16", v);
  REQUIRE(v.ok());
  const double rd = *v.get("dram__bytes_read.sum"), wr = *v.get("dram__bytes_write.sum");
  std::printf("COUNTERS standard fwd: measured read %.4g write %.4g total %.4g; model/measured = %.3f\n", rd, wr,
              rd + wr, model.hbm_bytes / (rd + wr));
  // The model counts what each launch must move; the range also sees L2 carry-over between the
  // launches and cuBLAS's own tiling. 15% covers both at this size (S, P = 268 MB >> L2).
  CHECK(rd + wr == Approx(model.hbm_bytes).epsilon(0.15));
  CHECK(rd == Approx(model.hbm_read_bytes).epsilon(0.15));
  CHECK(wr == Approx(model.hbm_write_bytes).epsilon(0.15));
  print_derived(v, model, pt.problem);
  session.reset();
  print_backward_against_model(*kernel, stream);
}
