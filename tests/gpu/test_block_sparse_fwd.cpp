// Correctness of the block_sparse family's forward (the flash kernels with a block mask) against
// the float64 reference, which applies the same mask element by element. Every pattern at N = 1000
// (ragged last block) and N = 2048, per-head masks (random) and causal on top of a mask.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>

#include "core/kernel.hpp"
#include "kernels/registry.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace {

using fa::testing::require_kernel;

fa::testing::SeedSequence data_seeds{7000};

fa::Point sparse_point(const std::string& pattern, double density, std::int64_t n, std::int64_t d, fa::DType dt,
                       bool causal) {
  fa::Point pt = fa::testing::attention_point("block_sparse", fa::Pass::fwd, dt, {1, 2, n, n, d}, causal, 0.0,
                                              fa::Layout::bhnd, 0xb10c0000ULL + static_cast<std::uint64_t>(n + d));
  pt.problem.sparsity.pattern = pattern;
  pt.problem.sparsity.density = density;
  return pt;
}

void check_point(fa::AttentionKernel& k, const fa::Point& pt) {
  const fa::Sparsity& sp = pt.problem.sparsity;
  fa::testing::check_supported_point(
      k, pt, fa::testing::to_text(fa::point_label(pt), " ", sp.pattern, " density ", sp.density), data_seeds.next());
}

}  // namespace

TEST_CASE("block_sparse fwd: every pattern at N = 1000 and 2048", "[gpu][block_sparse]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("block_sparse");
  REQUIRE(fa::find_kernel_entry("block_sparse")->uses_block_mask);
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
  auto k = require_kernel("block_sparse");
  auto pt = sparse_point("local", 0.3, 1000, 64, fa::DType::fp16, false);
  pt.problem.sparsity.block_q = 64;
  CHECK_FALSE(k->supports(pt.problem, fa::Pass::fwd).ok);
  pt.problem.sparsity.block_q = 256;
  pt.problem.sparsity.block_k = 64;
  CHECK(k->supports(pt.problem, fa::Pass::fwd).ok);
}
