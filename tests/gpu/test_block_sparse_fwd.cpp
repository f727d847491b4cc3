// Correctness of the block_sparse family's forward (the flash kernels with a block mask) against
// the float64 reference, which applies the same mask element by element. Every pattern at N = 1000
// (ragged last block) and N = 2048, per-head masks (random) and causal on top of a mask.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <string>

#include "core/kernel.hpp"
#include "kernels/registry.hpp"
#include "measure/verify.hpp"
#include "tests/gpu/gpu_support.hpp"

namespace {

fa::Point sparse_point(const std::string& pattern, double density, std::int64_t n, std::int64_t d, fa::DType dt,
                       bool causal) {
  fa::Point pt;
  pt.kernel = "block_sparse";
  pt.pass = fa::Pass::fwd;
  fa::Problem& p = pt.problem;
  p.batch = 1, p.heads = 2, p.seqlen_q = p.seqlen_kv = n, p.head_dim = d;
  p.dtype = dt;
  p.causal = causal;
  p.sparsity.pattern = pattern;
  p.sparsity.density = density;
  p.seed = 0xb10c0000ULL + static_cast<std::uint64_t>(n + d);
  return pt;
}

void check_point(fa::AttentionKernel& k, const fa::Point& pt) {
  static std::uint64_t seed = 7000;
  fa::VerifyOptions opt;
  opt.data_seed = ++seed;
  const fa::Support sup = k.supports(pt.problem, pt.pass);
  INFO(fa::point_label(pt) << " " << pt.problem.sparsity.pattern << " density " << pt.problem.sparsity.density
                           << ": " << (sup.ok ? "supported" : sup.reason));
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

TEST_CASE("block_sparse fwd: every pattern at N = 1000 and 2048", "[gpu][block_sparse]") {
  FA_REQUIRE_GPU();
  auto k = fa::make_kernel("block_sparse");
  REQUIRE(k != nullptr);
  REQUIRE(k->uses_block_mask());
  struct Pattern {
    const char* name;
    double density;
  };
  const Pattern patterns[] = {{"local", 0.3}, {"strided", 0.3}, {"random", 0.25}, {"butterfly", 0.4},
                              {"causal-blocks", 1.0}};
  for (std::int64_t n : {1000, 2048})
    for (const Pattern& pat : patterns) {
      check_point(*k, sparse_point(pat.name, pat.density, n, 64, fa::DType::fp16, false));
    }
  // Causal masking inside kept blocks, another head dim and dtype, dropout through the mask.
  check_point(*k, sparse_point("local", 0.3, 1000, 128, fa::DType::bf16, true));
  auto drop = sparse_point("random", 0.25, 1000, 32, fa::DType::bf16, false);
  drop.problem.dropout = 0.17;
  check_point(*k, drop);
  // Mask blocks larger than the tile and not square: 256 query rows x 64 keys.
  auto rect = sparse_point("local", 0.3, 1000, 64, fa::DType::fp16, false);
  rect.problem.sparsity.block_q = 256;
  rect.problem.sparsity.block_k = 64;
  check_point(*k, rect);
}

TEST_CASE("block_sparse fwd: mask blocks must be multiples of the 128 x 64 tile", "[gpu][block_sparse]") {
  FA_REQUIRE_GPU();
  auto k = fa::make_kernel("block_sparse");
  REQUIRE(k != nullptr);
  auto pt = sparse_point("local", 0.3, 1000, 64, fa::DType::fp16, false);
  pt.problem.sparsity.block_q = 64;
  CHECK_FALSE(k->supports(pt.problem, fa::Pass::fwd).ok);
  pt.problem.sparsity.block_q = 256;
  pt.problem.sparsity.block_k = 64;
  CHECK(k->supports(pt.problem, fa::Pass::fwd).ok);
}
