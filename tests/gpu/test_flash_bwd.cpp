// Correctness of the flash backward through the kernel interface (make_kernel("flash") and
// "block_sparse", Pass::bwd) against the float64 reference (measure/verify.hpp: fresh random inputs,
// NaN-poisoned outputs, relative L2 error of dQ, dK, dV within the dtype's backward tolerance).
// The forward that produces O and lse is the flash forward; test_flash_bwd_direct.cpp checks the
// backward alone on reference O and lse.
#include <catch2/catch.hpp>

#include <cstdint>

#include "core/kernel.hpp"
#include "kernels/families_built.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace {

using fa::DType;
using fa::Layout;
using fa::Pass;
using fa::testing::require_kernel;
using fa::testing::Shape;

fa::testing::SeedSequence data_seeds{5000};

fa::Point make_point(const char* kernel, DType dt, Shape s, bool causal, double dropout,
                     Layout layout = Layout::bhnd) {
  return fa::testing::attention_point(kernel, Pass::bwd, dt, s, causal, dropout, layout,
                                      fa::testing::shape_seed(0xf1a50000ULL, s));
}

void check_point(fa::AttentionKernel& k, const fa::Point& pt, double input_scale = 1.0) {
  fa::testing::check_supported_point(
      k, pt, fa::testing::to_text(fa::point_label(pt), " ", fa::to_string(pt.problem.layout), " x", input_scale),
      data_seeds.next(), input_scale);
}

}  // namespace

TEST_CASE("flash bwd: dtypes x head dims x causal x dropout", "[gpu][flash]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  for (DType dt : {DType::fp16, DType::bf16})
    for (std::int64_t d : {32, 64, 96, 128, 256})
      for (bool causal : {false, true})
        for (double dropout : {0.0, 0.17}) {
          Shape s;
          s.d = d;
          check_point(*k, make_point("flash", dt, s, causal, dropout));
        }
}

TEST_CASE("flash bwd: odd and unequal sequence lengths, fully masked rows", "[gpu][flash]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  // Causal with Nq > Nk leaves the first Nq - Nk rows without keys: dQ = 0 there, no NaN.
  for (std::int64_t nq : {1, 17, 255, 1000})
    for (std::int64_t nk : {1, 17, 255, 1000}) {
      Shape s{1, 1, nq, nk, 64};
      check_point(*k, make_point("flash", DType::fp16, s, true, 0.17));
    }
  check_point(*k, make_point("flash", DType::bf16, Shape{2, 2, 1000, 17, 128}, false, 0.0));
}

TEST_CASE("flash bwd: bnhd layout and large logits", "[gpu][flash]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  check_point(*k, make_point("flash", DType::fp16, Shape{2, 3, 300, 200, 64}, true, 0.17, Layout::bnhd));
  check_point(*k, make_point("flash", DType::bf16, Shape{3, 2, 129, 257, 128}, false, 0.0, Layout::bnhd));
  for (DType dt : {DType::fp16, DType::bf16}) {
    check_point(*k, make_point("flash", dt, Shape{1, 2, 256, 256, 128}, false, 0.0), 8.0);
    check_point(*k, make_point("flash", dt, Shape{1, 2, 255, 300, 64}, true, 0.17), 8.0);
  }
}

#if FA_FAMILY_BLOCK_SPARSE  // the family can be left out of a build (kernels/families_built.hpp)
TEST_CASE("block_sparse bwd: local and random masks", "[gpu][flash]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("block_sparse");
  for (const char* pattern : {"local", "random"})
    for (bool causal : {false, true})
      for (DType dt : {DType::fp16, DType::bf16}) {
        fa::Point pt = make_point("block_sparse", dt, Shape{1, 2, 700, 600, dt == DType::fp16 ? 64 : 128}, causal,
                                  causal ? 0.17 : 0.0);
        pt.problem.sparsity.pattern = pattern;
        pt.problem.sparsity.density = 0.4;
        check_point(*k, pt);
      }
}
#endif
