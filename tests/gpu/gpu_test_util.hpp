#pragma once
// Helpers shared by the GPU tests, so that every test file builds points, verifies them and times
// them the same way; what differs between files (kernel name, problem seed, label, data-seed
// start) is passed in. Two groups:
//  - correctness: attention_point, SeedSequence, check_supported_point (and its pieces) around
//    fa::verify_point; DirectRun for runs on the caller's own inputs;
//  - timing probes: median_ms (CUDA events), square_problem, time_kernel_pass, DeviceBuffer.
// Everything is inline: the header is compiled into each test file (one of them by nvcc).
#include <catch2/catch.hpp>

#include <cuda_runtime_api.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "core/cuda_check.hpp"
#include "core/kernel.hpp"
#include "core/problem.hpp"
#include "kernels/registry.hpp"
#include "measure/operands.hpp"
#include "measure/stream.hpp"
#include "measure/tracking_allocator.hpp"
#include "measure/verify.hpp"

namespace fa::testing {

// Query and K/V head counts of a grouped-query point (tests of --kv-heads).
struct HeadCounts {
  std::int64_t q, kv;
};

// ---- correctness -------------------------------------------------------------------------------

// [B, H, Nq, Nk, D]. The defaults are lengths that are multiples of no tile size (ragged edges).
struct Shape {
  std::int64_t b = 1, h = 2, nq = 173, nk = 255, d = 64;
};

// One point of a dense problem. The problem seed (dropout mask) is the caller's: each file derives
// it from the shape its own way, and keeping those formulas keeps every file's points unchanged.
inline fa::Point attention_point(std::string_view kernel, fa::Pass pass, fa::DType dt, const Shape& s, bool causal,
                                 double dropout, fa::Layout layout, std::uint64_t problem_seed) {
  fa::Point pt;
  pt.kernel = std::string(kernel);
  pt.pass = pass;
  fa::Problem& p = pt.problem;
  p.batch = s.b, p.heads = s.h, p.seqlen_q = s.nq, p.seqlen_kv = s.nk, p.head_dim = s.d;
  p.dtype = dt;
  p.causal = causal;
  p.dropout = dropout;
  p.layout = layout;
  p.seed = problem_seed;
  return pt;
}

// The problem seed (dropout mask) the correctness files derive from a shape: base + Nq * 7919 + Nk * 31 + D.
inline std::uint64_t shape_seed(std::uint64_t base, const Shape& s) {
  return base + static_cast<std::uint64_t>(s.nq * 7919 + s.nk * 31 + s.d);
}

// Data seeds for fresh random inputs at every check, as the verification method asks. Each file
// owns one sequence with its own start, so checks added to one file leave the others' data alone.
class SeedSequence {
 public:
  constexpr explicit SeedSequence(std::uint64_t last) : last_(last) {}
  std::uint64_t next() { return ++last_; }

 private:
  std::uint64_t last_;
};

// Streams the arguments into one string, formatted exactly as INFO(a << b << ...) would.
template <class... Args>
std::string to_text(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}

// A kernel by registry name; the test stops here if its family is not built.
inline std::unique_ptr<fa::AttentionKernel> require_kernel(std::string_view name) {
  auto k = fa::make_kernel(name);
  REQUIRE(k != nullptr);
  return k;
}

inline fa::VerifyResult verify_with_seed(fa::AttentionKernel& k, const fa::Point& pt, std::uint64_t data_seed,
                                         double input_scale = 1.0) {
  fa::VerifyOptions opt;
  opt.input_scale = input_scale;
  opt.data_seed = data_seed;
  return fa::verify_point(k, pt, opt);
}

// "note ( o 1.2e-03 lse 3.4e-05, tol 0.01)": what failed and every output's error.
inline std::string error_summary(const fa::VerifyResult& r) {
  std::string errs;
  for (const auto& [name, e] : r.errors) errs += " " + name + " " + std::to_string(e);
  return to_text(r.note, " (", errs, ", tol ", r.tolerance, ")");
}

// The verdict every correctness test asks for: something was compared, every output element was
// written, and every error is within the dtype's tolerance. Call it inside the caller's INFO scope.
inline void check_result(const fa::VerifyResult& r) {
  CHECK_FALSE(r.skipped);
  CHECK(r.unwritten == 0);
  CHECK(r.ok);
}

// The point must be supported (a REQUIRE: a point the kernel refuses is a test bug or a kernel
// regression, not a pass) and must then verify. `label` names the point in failure messages.
inline void check_supported_point(fa::AttentionKernel& k, const fa::Point& pt, const std::string& label,
                                  std::uint64_t data_seed, double input_scale = 1.0) {
  const fa::Support sup = k.supports(pt.problem, pt.pass);
  INFO(label << ": " << (sup.ok ? "supported" : sup.reason));
  REQUIRE(sup.ok);
  const fa::VerifyResult r = verify_with_seed(k, pt, data_seed, input_scale);
  INFO(error_summary(r));
  check_result(r);
}

// One prepared run of a kernel on given host inputs, outside the verification helper: for checks
// that need their own inputs (dropout) or several runs of one preparation.
struct DirectRun {
  fa::DeviceTrackingAllocator operands_alloc, scratch;
  fa::StreamHandle stream{true};
  fa::Problem p;
  fa::Pass pass;
  fa::OperandSet ops;

  DirectRun(const fa::Problem& problem, fa::Pass ps, const fa::HostInputs& in)
      : p(problem), pass(ps), ops(problem, ps, fa::Backend::cuda, operands_alloc, nullptr) {
    ops.upload(in);
  }
  void run(fa::AttentionKernel& k, int times = 1) {
    ops.poison_outputs(stream.get());
    fa::ExecContext ctx{stream.get(), &scratch, 0};
    auto r = k.prepare(p, pass, ops.ops(), ctx);
    for (int i = 0; i < times; ++i) r->run();
    stream.synchronize();
  }
};

// check_supported_point with the label every correctness file uses: the point, both lengths, the layout
// and the input scale.
inline void check_labelled_point(fa::AttentionKernel& k, const fa::Point& pt, std::uint64_t data_seed,
                                 double input_scale = 1.0) {
  const fa::Problem& p = pt.problem;
  check_supported_point(k, pt,
                        to_text(fa::point_label(pt), " Nq", p.seqlen_q, " Nk", p.seqlen_kv, " ",
                                fa::to_string(p.layout), " x", input_scale),
                        data_seed, input_scale);
}

// For vendor kernels (cuDNN), whose support depends on the loaded version and engine: a point the
// kernel refuses is said with its reason (what its row would carry), not verified, and false comes
// back so that the caller can count refusals; a point it takes must verify. Our own kernels must take
// every point: pass vendor = false.
inline bool check_point_unless_vendor_refuses(fa::AttentionKernel& k, const fa::Point& pt, bool vendor,
                                              std::uint64_t data_seed) {
  if (vendor) {
    const fa::Support s = k.supports(pt.problem, pt.pass);
    if (!s.ok) {
      WARN(fa::point_label(pt) << " Nq" << pt.problem.seqlen_q << " Nk" << pt.problem.seqlen_kv
                               << " refused: " << s.reason);
      CHECK_THAT(s.reason, Catch::StartsWith("cudnn: "));
      return false;
    }
  }
  check_labelled_point(k, pt, data_seed);
  return true;
}

// ---- timing probes -----------------------------------------------------------------------------

// Median time of `launch` (work enqueued on st) in ms, by CUDA events around each run on that
// stream, after `warmup` untimed runs that take first-launch and clock ramp-up costs out.
inline double median_ms(cudaStream_t st, const std::function<void()>& launch, int warmup = 5, int reps = 30) {
  for (int i = 0; i < warmup; ++i) launch();
  cudaEvent_t a, b;
  FA_CUDA_CHECK(cudaEventCreate(&a));
  FA_CUDA_CHECK(cudaEventCreate(&b));
  std::vector<float> ms;
  for (int i = 0; i < reps; ++i) {
    FA_CUDA_CHECK(cudaEventRecord(a, st));
    launch();
    FA_CUDA_CHECK(cudaEventRecord(b, st));
    FA_CUDA_CHECK(cudaEventSynchronize(b));
    float t = 0;
    FA_CUDA_CHECK(cudaEventElapsedTime(&t, a, b));
    ms.push_back(t);
  }
  FA_CUDA_CHECK(cudaEventDestroy(a));
  FA_CUDA_CHECK(cudaEventDestroy(b));
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

// Self-attention problem (Nq = Nk = n) in the default bhnd layout, as the perf notes' points are.
inline fa::Problem square_problem(std::int64_t b, std::int64_t h, std::int64_t n, std::int64_t d, fa::DType dt,
                                  bool causal, double dropout) {
  fa::Problem p;
  p.batch = b, p.heads = h, p.seqlen_q = p.seqlen_kv = n, p.head_dim = d;
  p.dtype = dt, p.causal = causal, p.dropout = dropout;
  return p;
}

struct PassTiming {
  double ms = 0;                        // median_ms of the prepared run
  std::size_t scratch_peak_bytes = 0;  // kernel scratch high-water mark (prepare and runs)
};

// Times one pass through the AttentionKernel interface, as the harness runs it: operands filled
// with random normals (seed 42) on a dedicated stream, prepare() once, then run() under median_ms.
inline PassTiming time_kernel_pass(fa::AttentionKernel& k, const fa::Problem& p, fa::Pass pass) {
  fa::DeviceTrackingAllocator operands_alloc, scratch;
  fa::StreamHandle stream(true);
  fa::OperandSet ops(p, pass, fa::Backend::cuda, operands_alloc, nullptr);
  ops.fill_random(42, stream.get());
  fa::ExecContext ctx{stream.get(), &scratch, 0};
  auto run = k.prepare(p, pass, ops.ops(), ctx);
  PassTiming t;
  t.ms = median_ms(static_cast<cudaStream_t>(stream.get()), [&] { run->run(); });
  t.scratch_peak_bytes = scratch.peak_bytes();
  return t;
}

// Raw device memory for tests that call kernels below the AttentionKernel interface. At least one
// byte is allocated, so a zero-size request (no mask, no workspace) still gives a valid pointer.
struct DeviceBuffer {
  explicit DeviceBuffer(std::size_t n) : bytes(n) { FA_CUDA_CHECK(cudaMalloc(&ptr, n ? n : 1)); }
  ~DeviceBuffer() { cudaFree(ptr); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* ptr = nullptr;
  std::size_t bytes;
};

}  // namespace fa::testing
