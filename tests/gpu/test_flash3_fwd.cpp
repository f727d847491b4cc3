// Correctness of the flash3 forward (Hopper, sm_90a) through the kernel interface against the float64
// reference (fresh random inputs, NaN-poisoned outputs, relative L2 error of O and lse within the dtype's
// tolerance, no unwritten element). The shapes aim at the kernel's edge paths: lengths that are not
// multiples of the 128 x BN tile (TMA zero-fill of rows past the end, masked key columns, clipped O stores),
// Nq != Nk both ways under the bottom-right causal mask (rows and whole tiles that see nothing: O = 0,
// lse = -inf), the bnhd layout, large logits, and more batch x heads than one grid dimension holds (the
// persistent tile loop). On a GPU that is not sm_90 the family declines and the test says so.
#include <catch2/catch.hpp>

#include <cstdint>

#include "core/kernel.hpp"
#include "tests/gpu/flash3_test_points.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace {

using fa::DType;
using fa::Layout;
using fa::Pass;
using fa::testing::Shape;

fa::testing::SeedSequence data_seeds{93000};

fa::testing::Flash3Points fwd_points(fa::AttentionKernel& k) {
  return {k, Pass::fwd, {64, 128, 96, 256}, 0xf1a53000ULL, data_seeds};
}

}  // namespace

TEST_CASE("flash3 fwd: dtypes x head dims x causal x dropout", "[gpu][flash3]") {
  FA_REQUIRE_GPU();
  auto k = fa::testing::require_flash3(Pass::fwd);
  const fa::testing::Flash3Points pts = fwd_points(*k);
  for (DType dt : {DType::fp16, DType::bf16})
    for (std::int64_t d : {64, 96, 128, 256})
      for (bool causal : {false, true})
        for (double dropout : {0.0, 0.17}) {
          Shape s;
          s.d = d;
          if (dropout > 0) s.nq = 255, s.nk = 173;  // Nq > Nk with dropout, Nq < Nk without
          pts.check(pts.point(dt, s, causal, dropout));
        }
}

TEST_CASE("flash3 fwd: sequence lengths 1, 17, 255, 1000, 4097 (all pairs)", "[gpu][flash3]") {
  FA_REQUIRE_GPU();
  auto k = fa::testing::require_flash3(Pass::fwd);
  const fa::testing::Flash3Points pts = fwd_points(*k);
  pts.length_pairs();
}

TEST_CASE("flash3 fwd: bnhd layout", "[gpu][flash3]") {
  FA_REQUIRE_GPU();
  auto k = fa::testing::require_flash3(Pass::fwd);
  const fa::testing::Flash3Points pts = fwd_points(*k);
  pts.bnhd();
}

TEST_CASE("flash3 fwd: large logits (inputs x8)", "[gpu][flash3]") {
  FA_REQUIRE_GPU();
  auto k = fa::testing::require_flash3(Pass::fwd);
  const fa::testing::Flash3Points pts = fwd_points(*k);
  Shape s;
  s.nq = 300, s.nk = 300;
  // D 256 lets the running max lag by up to 8 in log2 units (kLazyRescale): large logits move it often.
  for (std::int64_t d : {64, 128, 256})
    for (bool causal : {false, true}) {
      s.d = d;
      pts.check(pts.point(DType::bf16, s, causal, 0.0), 8.0);
      pts.check(pts.point(DType::fp16, s, causal, 0.0), 8.0);
    }
}

// More query tiles than SMs, so each CTA walks several tiles (the causal ones in the dynamic order) with dropout:
// each tile's dropout calls (DropoutRow) come from that tile's batch, head and rows.
TEST_CASE("flash3 fwd: dropout over several tiles per CTA", "[gpu][flash3][dropout]") {
  FA_REQUIRE_GPU();
  auto k = fa::testing::require_flash3(Pass::fwd);
  const fa::testing::Flash3Points pts = fwd_points(*k);
  Shape s;
  s.b = 2, s.h = 48, s.nq = 520, s.nk = 530;
  for (std::int64_t d : {64, 128})
    for (bool causal : {false, true}) {
      s.d = d;
      pts.check(pts.point(DType::fp16, s, causal, 0.17));
      pts.check(pts.point(DType::bf16, s, causal, 0.3));
    }
}

TEST_CASE("flash3 fwd: batch x heads beyond one grid dimension (66000 heads)", "[gpu][flash3]") {
  FA_REQUIRE_GPU();
  auto k = fa::testing::require_flash3(Pass::fwd);
  const fa::testing::Flash3Points pts = fwd_points(*k);
  pts.many_heads();
}

TEST_CASE("flash3 fwd: unsupported points say why", "[gpu][flash3]") {
  FA_REQUIRE_GPU();
  auto k = fa::testing::require_flash3(Pass::fwd);
  fa::Problem p;
  p.dtype = DType::fp32;
  CHECK(k->supports(p, Pass::fwd).reason == "flash3 takes fp16/bf16/fp8");
  p.dtype = DType::bf16;
  p.head_dim = 80;
  CHECK(k->supports(p, Pass::fwd).reason == "flash3 head dims: 64, 96, 128, 256");
  p.head_dim = 128;
  CHECK(k->supports(p, Pass::fwd).ok);
}

// Small points for compute-sanitizer (memcheck, racecheck, synccheck); hidden from normal runs.
TEST_CASE("flash3 fwd: sanitizer points", "[.flash3_fwd_sanitize]") {
  FA_REQUIRE_GPU();
  auto k = fa::testing::require_flash3(Pass::fwd);
  const fa::testing::Flash3Points pts = fwd_points(*k);
  Shape s;
  s.nq = 200, s.nk = 130, s.d = 64;
  pts.check(pts.point(DType::fp16, s, true, 0.17));
  s.d = 96;
  pts.check(pts.point(DType::bf16, s, false, 0.0, Layout::bnhd));
  s.d = 256;
  s.nq = 300;
  pts.check(pts.point(DType::bf16, s, true, 0.0));
}
