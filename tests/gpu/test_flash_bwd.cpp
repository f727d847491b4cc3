// Correctness of the flash backward through the kernel interface (make_kernel("flash") and
// "block_sparse", Pass::bwd) against the float64 reference (measure/verify.hpp: fresh random inputs,
// NaN-poisoned outputs, relative L2 error of dQ, dK, dV within the dtype's backward tolerance).
// The forward that produces O and lse is the flash forward; test_flash_bwd_direct.cpp checks the
// backward alone on reference O and lse.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "core/kernel.hpp"
#include "kernels/registry.hpp"
#include "measure/verify.hpp"
#include "tests/gpu/gpu_support.hpp"

namespace {

using fa::DType;
using fa::Layout;
using fa::Pass;

struct Shape {
  std::int64_t b = 1, h = 2, nq = 173, nk = 255, d = 64;
};

fa::Point make_point(const char* kernel, DType dt, Shape s, bool causal, double dropout,
                     Layout layout = Layout::bhnd) {
  fa::Point pt;
  pt.kernel = kernel;
  pt.pass = Pass::bwd;
  fa::Problem& p = pt.problem;
  p.batch = s.b, p.heads = s.h, p.seqlen_q = s.nq, p.seqlen_kv = s.nk, p.head_dim = s.d;
  p.dtype = dt;
  p.causal = causal;
  p.dropout = dropout;
  p.layout = layout;
  p.seed = 0xf1a50000ULL + static_cast<std::uint64_t>(s.nq * 7919 + s.nk * 31 + s.d);
  return pt;
}

std::unique_ptr<fa::AttentionKernel> kernel(const char* name) {
  auto k = fa::make_kernel(name);
  REQUIRE(k != nullptr);
  return k;
}

std::uint64_t next_data_seed() {
  static std::uint64_t seed = 5000;
  return ++seed;
}

void check_point(fa::AttentionKernel& k, const fa::Point& pt, double input_scale = 1.0) {
  fa::VerifyOptions opt;
  opt.input_scale = input_scale;
  opt.data_seed = next_data_seed();
  const fa::Support sup = k.supports(pt.problem, pt.pass);
  INFO(fa::point_label(pt) << " " << fa::to_string(pt.problem.layout) << " x" << input_scale << ": "
                           << (sup.ok ? "supported" : sup.reason));
  REQUIRE(sup.ok);
  const fa::VerifyResult r = fa::verify_point(k, pt, opt);
  std::string errs;
  for (const auto& [name, e] : r.errors) errs += " " + name + " " + std::to_string(e);
  INFO(r.note << " (" << errs << ", tol " << r.tolerance << ")");
  CHECK_FALSE(r.skipped);
  CHECK(r.unwritten == 0);
  CHECK(r.ok);
}

}  // namespace

TEST_CASE("flash bwd: dtypes x head dims x causal x dropout", "[gpu][flash]") {
  FA_REQUIRE_GPU();
  auto k = kernel("flash");
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
  auto k = kernel("flash");
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
  auto k = kernel("flash");
  check_point(*k, make_point("flash", DType::fp16, Shape{2, 3, 300, 200, 64}, true, 0.17, Layout::bnhd));
  check_point(*k, make_point("flash", DType::bf16, Shape{3, 2, 129, 257, 128}, false, 0.0, Layout::bnhd));
  for (DType dt : {DType::fp16, DType::bf16}) {
    check_point(*k, make_point("flash", dt, Shape{1, 2, 256, 256, 128}, false, 0.0), 8.0);
    check_point(*k, make_point("flash", dt, Shape{1, 2, 255, 300, 64}, true, 0.17), 8.0);
  }
}

#if FA_FAMILY_BLOCK_SPARSE  // the family can be left out of a build (FA_BENCH_FAMILIES)
TEST_CASE("block_sparse bwd: local and random masks", "[gpu][flash]") {
  FA_REQUIRE_GPU();
  auto k = kernel("block_sparse");
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
