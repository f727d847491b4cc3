// Correctness of the flash forward through the kernel interface (make_kernel("flash"), Pass::fwd)
// against the float64 reference (measure/verify.hpp: fresh random inputs, NaN-poisoned outputs,
// relative L2 error of O and lse within the dtype's forward tolerance, no unwritten element).
// Shapes are chosen to hit the kernel's edge paths: sequence lengths that are not multiples of the
// 128 x 64 tile (zero-filled loads, masked key columns, guarded stores), Nq != Nk both ways under
// the bottom-right causal mask (rows that see nothing: O = 0, lse = -inf), strided layouts, large
// logits, and more batch x heads than one grid dimension holds.
#include <catch2/catch.hpp>

#include <cstdint>

#include "core/kernel.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace {

using fa::DType;
using fa::Layout;
using fa::Pass;
using fa::testing::require_kernel;
using fa::testing::Shape;

fa::testing::SeedSequence data_seeds{9000};

fa::Point fwd_point(DType dt, Shape s, bool causal, double dropout, Layout layout = Layout::bhnd) {
  return fa::testing::attention_point("flash", Pass::fwd, dt, s, causal, dropout, layout,
                                      fa::testing::shape_seed(0xf1a5f000ULL, s));
}

void check_point(fa::AttentionKernel& k, const fa::Point& pt, double input_scale = 1.0) {
  fa::testing::check_labelled_point(k, pt, data_seeds.next(), input_scale);
}

}  // namespace

TEST_CASE("flash fwd: dtypes x head dims x causal x dropout", "[gpu][flash]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  for (DType dt : {DType::fp16, DType::bf16})
    for (std::int64_t d : {32, 64, 96, 128, 256})
      for (bool causal : {false, true})
        for (double dropout : {0.0, 0.17}) {
          // Nq < Nk without dropout, Nq > Nk with it: both causal alignments get every head dim.
          Shape s;
          s.d = d;
          if (dropout > 0) s.nq = 255, s.nk = 173;
          check_point(*k, fwd_point(dt, s, causal, dropout));
        }
}

TEST_CASE("flash fwd: sequence lengths 1, 17, 255, 1000 (all pairs)", "[gpu][flash]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  int i = 0;
  for (std::int64_t nq : {1, 17, 255, 1000})
    for (std::int64_t nk : {1, 17, 255, 1000})
      for (bool causal : {false, true}) {
        // Alternate dtype, head dim and dropout so the pairs also spread over the instances.
        Shape s;
        s.h = 1, s.nq = nq, s.nk = nk;
        s.d = (i % 3 == 0) ? 128 : 64;
        const DType dt = (i % 2 == 0) ? DType::fp16 : DType::bf16;
        const double dropout = (i % 4 == 3) ? 0.17 : 0.0;
        check_point(*k, fwd_point(dt, s, causal, dropout));
        ++i;
      }
}

TEST_CASE("flash fwd: bnhd layout", "[gpu][flash]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  Shape s;
  s.b = 2, s.h = 3, s.nq = 200, s.nk = 130;
  for (std::int64_t d : {64, 96, 128}) {
    s.d = d;
    check_point(*k, fwd_point(DType::fp16, s, false, 0.0, Layout::bnhd));
    check_point(*k, fwd_point(DType::bf16, s, true, 0.17, Layout::bnhd));
  }
}

TEST_CASE("flash fwd: large logits (inputs x8)", "[gpu][flash]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  Shape s;
  s.nq = 300, s.nk = 300;
  for (std::int64_t d : {64, 128})
    for (bool causal : {false, true}) {
      s.d = d;
      check_point(*k, fwd_point(DType::bf16, s, causal, 0.0), 8.0);
      check_point(*k, fwd_point(DType::fp16, s, causal, 0.0), 8.0);
    }
}

TEST_CASE("flash fwd: batch x heads beyond one grid dimension (66000 heads)", "[gpu][flash]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  Shape s;
  s.b = 2, s.h = 33000, s.nq = 5, s.nk = 9, s.d = 32;
  check_point(*k, fwd_point(DType::fp16, s, true, 0.0));
}

TEST_CASE("flash fwd: unsupported shapes say why", "[gpu][flash]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  fa::Problem p;
  p.dtype = DType::fp32;
  CHECK(k->supports(p, Pass::fwd).reason == "flash takes fp16/bf16");
  p.dtype = DType::bf16;
  p.head_dim = 80;
  CHECK_FALSE(k->supports(p, Pass::fwd).ok);
  p.head_dim = 128;
  CHECK(k->supports(p, Pass::fwd).ok);
}

// One small point of each kind for compute-sanitizer (memcheck, racecheck); hidden from normal runs.
TEST_CASE("flash fwd: sanitizer points", "[.flash_fwd_sanitize]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  Shape s;
  s.nq = 200, s.nk = 130, s.d = 64;
  check_point(*k, fwd_point(DType::fp16, s, true, 0.17));
  s.d = 96;
  check_point(*k, fwd_point(DType::bf16, s, false, 0.0, Layout::bnhd));
  s.d = 256;
  check_point(*k, fwd_point(DType::bf16, s, true, 0.0));
}
