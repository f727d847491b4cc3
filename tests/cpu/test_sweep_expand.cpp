// Sweep expansion: point counts, the documented order, sparsity only on mask kernels, constraints.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.hpp"
#include "sweep/expand.hpp"
#include "sweep/sweep_spec.hpp"
#include "sweep_spec_fixture.hpp"

using Catch::Matchers::Contains;

namespace {

bool mask_kernel(std::string_view k) { return k == "block_sparse"; }

using fa::testing::spec_with;

std::map<std::string, int> count_by_kernel(const std::vector<fa::Point>& pts) {
  std::map<std::string, int> n;
  for (const auto& p : pts) ++n[p.kernel];
  return n;
}

void require_unique_keys(const std::vector<fa::Point>& pts) {
  std::set<std::string> keys;
  for (const auto& p : pts) keys.insert(fa::point_key(p));
  REQUIRE(keys.size() == pts.size());
}

}  // namespace

TEST_CASE("the documented 96-point example expands to 96 distinct points", "[sweep]") {
  const auto s = spec_with({{"kernel", "standard,flash,block_sparse"},
                            {"batch", "1,2"},
                            {"heads", "8"},
                            {"seqlen", "512:4096:x2"},
                            {"dtype", "fp16,bf16"},
                            {"dropout", "0,0.1"}});
  const auto e = fa::expand(s, mask_kernel);
  REQUIRE(e.points.size() == 96);
  CHECK(e.dropped_by_constraints == 0);
  require_unique_keys(e.points);
  CHECK(count_by_kernel(e.points) == std::map<std::string, int>{{"standard", 32}, {"flash", 32}, {"block_sparse", 32}});
  for (const auto& p : e.points) {
    CHECK(p.problem.heads == 8);
    CHECK(p.problem.seqlen_kv == p.problem.seqlen_q);
    CHECK(p.problem.sparsity.is_dense());
  }
}

TEST_CASE("a default spec gives one point carrying every default", "[sweep]") {
  fa::SweepSpec s;
  s.kernels = {"flash"};
  const auto e = fa::expand(s, nullptr);
  REQUIRE(e.points.size() == 1);
  const fa::Problem& p = e.points[0].problem;
  CHECK(e.points[0].pass == fa::Pass::fwd);
  CHECK((p.batch == 1 && p.heads == 8 && p.seqlen_q == 1024 && p.seqlen_kv == 1024 && p.head_dim == 64));
  CHECK(p.dtype == fa::DType::fp16);
  CHECK((p.dropout == 0.0 && !p.causal && p.softmax_scale == 0.0 && p.seed == 0x5eedULL));
  CHECK(p.layout == fa::Layout::bhnd);
  CHECK((p.sparsity.is_dense() && p.sparsity.density == 1.0 && p.sparsity.block_q == 128));
}

TEST_CASE("no kernels means no points", "[sweep]") {
  fa::SweepSpec s;
  CHECK(fa::expand(s, mask_kernel).points.empty());
}

TEST_CASE("expansion order is kernel, pass, dtype, head_dim, causal, dropout, heads, seqlen, seqlen_kv, batch, "
          "sparsity, density",
          "[sweep]") {
  // Two values on every axis: point i must then be the mixed-radix number whose digits, from the
  // most significant, are the value indices of the axes in the documented order.
  const auto s = spec_with({{"kernel", "flash,standard"},
                            {"pass", "bwd,fwd"},
                            {"dtype", "bf16,fp16"},
                            {"head-dim", "128,64"},
                            {"causal", "1,0"},
                            {"dropout", "0.2,0"},
                            {"heads", "16,4"},
                            {"seqlen", "2048,256"},
                            {"seqlen-kv", "512,128"},
                            {"batch", "3,1"},
                            {"sparsity", "strided,local"},
                            {"density", "0.5,0.25"}});
  const auto e = fa::expand(s, [](std::string_view) { return true; });
  REQUIRE(e.points.size() == 4096);
  for (std::size_t i = 0; i < e.points.size(); ++i) {
    const auto digit = [i](int from_inner) { return (i >> from_inner) & 1u; };
    const fa::Point& pt = e.points[i];
    const fa::Problem& p = pt.problem;
    INFO("point " << i << ": " << fa::point_label(pt));
    REQUIRE(pt.kernel == (digit(11) ? "standard" : "flash"));
    REQUIRE(pt.pass == (digit(10) ? fa::Pass::fwd : fa::Pass::bwd));
    REQUIRE(p.dtype == (digit(9) ? fa::DType::fp16 : fa::DType::bf16));
    REQUIRE(p.head_dim == (digit(8) ? 64 : 128));
    REQUIRE(p.causal == !digit(7));
    REQUIRE(p.dropout == (digit(6) ? 0.0 : 0.2));
    REQUIRE(p.heads == (digit(5) ? 4 : 16));
    REQUIRE(p.seqlen_q == (digit(4) ? 256 : 2048));
    REQUIRE(p.seqlen_kv == (digit(3) ? 128 : 512));
    REQUIRE(p.batch == (digit(2) ? 1 : 3));
    REQUIRE(p.sparsity.pattern == (digit(1) ? "local" : "strided"));
    REQUIRE(p.sparsity.density == (digit(0) ? 0.25 : 0.5));
  }
}

TEST_CASE("sparsity and density multiply only kernels that use a block mask", "[sweep]") {
  auto s = spec_with({{"kernel", "flash,block_sparse"},
                      {"seqlen", "1024,2048"},
                      {"sparsity", "dense,local,random"},
                      {"density", "0.25,0.5"}});
  auto e = fa::expand(s, mask_kernel);
  // flash: 1 dense point per seqlen; block_sparse: dense + 2 patterns x 2 densities = 5 per seqlen.
  CHECK(count_by_kernel(e.points) == std::map<std::string, int>{{"flash", 2}, {"block_sparse", 10}});
  require_unique_keys(e.points);
  std::set<std::pair<std::string, double>> seen;
  for (const auto& p : e.points) {
    if (p.kernel == "flash") {
      CHECK(p.problem.sparsity.is_dense());
      CHECK(p.problem.sparsity.density == 1.0);
    } else if (p.problem.seqlen_q == 1024) {
      seen.insert({p.problem.sparsity.pattern, p.problem.sparsity.density});
    }
  }
  CHECK(seen == std::set<std::pair<std::string, double>>{
                    {"dense", 1.0}, {"local", 0.25}, {"local", 0.5}, {"random", 0.25}, {"random", 0.5}});

  SECTION("a list without dense still gives other kernels their dense point") {
    fa::set_axis(s, "sparsity", "local");
    e = fa::expand(s, mask_kernel);
    CHECK(count_by_kernel(e.points) == std::map<std::string, int>{{"flash", 2}, {"block_sparse", 4}});
  }
  SECTION("the dense pattern ignores density") {
    fa::set_axis(s, "sparsity", "dense");
    e = fa::expand(s, mask_kernel);
    CHECK(count_by_kernel(e.points) == std::map<std::string, int>{{"flash", 2}, {"block_sparse", 2}});
    for (const auto& p : e.points) CHECK(p.problem.sparsity.density == 1.0);
  }
  SECTION("causal-blocks has no density knob: one point, not one copy per density") {
    fa::set_axis(s, "sparsity", "causal-blocks,local");
    e = fa::expand(s, mask_kernel);
    // block_sparse per seqlen: causal-blocks once + local at 0.25 and 0.5.
    CHECK(count_by_kernel(e.points) == std::map<std::string, int>{{"flash", 2}, {"block_sparse", 6}});
    require_unique_keys(e.points);
    for (const auto& p : e.points)
      if (p.problem.sparsity.pattern == "causal-blocks") CHECK(p.problem.sparsity.density == 1.0);
  }
  SECTION("an empty predicate means no kernel uses a mask") {
    e = fa::expand(s, nullptr);
    CHECK(count_by_kernel(e.points) == std::map<std::string, int>{{"flash", 2}, {"block_sparse", 2}});
  }
}

TEST_CASE("the tokens constraint derives batch and drops lengths that do not fit", "[sweep]") {
  const auto s = spec_with({{"kernel", "flash,block_sparse"},
                            {"tokens", "4096"},
                            {"batch", "1,2,3"},  // ignored under --tokens
                            {"seqlen", "512,1024,3000,8192"},
                            {"sparsity", "dense,local"},
                            {"density", "0.5"}});
  const auto e = fa::expand(s, mask_kernel);
  // Kept: seqlen 512 (batch 8) and 1024 (batch 4); flash has 1 variant, block_sparse 2.
  REQUIRE(e.points.size() == 2 + 4);
  for (const auto& p : e.points) {
    CHECK(p.problem.batch * p.problem.seqlen_q == 4096);
  }
  // Dropped: seqlen 3000 (does not divide) and 8192 (exceeds), each 1 flash + 2 block_sparse points.
  CHECK(e.dropped_by_constraints == 6);
  REQUIRE(e.drop_reasons.size() == 2);
  CHECK_THAT(e.drop_reasons[0], Contains("--tokens 4096") && Contains("seqlen 3000 does not divide"));
  CHECK_THAT(e.drop_reasons[1], Contains("seqlen 8192 exceeds"));
}

TEST_CASE("the hidden constraint derives heads and drops head dims that do not divide", "[sweep]") {
  const auto s = spec_with({{"kernel", "flash"},
                            {"hidden", "2048"},
                            {"heads", "1,2"},  // ignored under --hidden
                            {"head-dim", "64,96,128"},
                            {"seqlen", "512,1024"}});
  const auto e = fa::expand(s, mask_kernel);
  REQUIRE(e.points.size() == 4);
  std::set<std::pair<std::int64_t, std::int64_t>> dims;
  for (const auto& p : e.points) dims.insert({p.problem.head_dim, p.problem.heads});
  CHECK(dims == std::set<std::pair<std::int64_t, std::int64_t>>{{64, 32}, {128, 16}});
  CHECK(e.dropped_by_constraints == 2);  // head_dim 96 at both seqlens
  REQUIRE(e.drop_reasons.size() == 1);
  CHECK_THAT(e.drop_reasons[0], Contains("--hidden 2048: head-dim 96 does not divide it"));
}

TEST_CASE("tokens and hidden together count each dropped point once", "[sweep]") {
  const auto s = spec_with(
      {{"kernel", "flash"}, {"tokens", "2048"}, {"hidden", "1024"}, {"head-dim", "64,96"}, {"seqlen", "1024,4096"}});
  const auto e = fa::expand(s, mask_kernel);
  REQUIRE(e.points.size() == 1);  // head_dim 64, seqlen 1024
  CHECK((e.points[0].problem.heads == 16 && e.points[0].problem.batch == 2));
  CHECK(e.dropped_by_constraints == 3);
  CHECK(e.drop_reasons.size() == 2);
}

TEST_CASE("the seqlen-kv axis pairs every query length with every key length", "[sweep]") {
  auto s = spec_with({{"kernel", "flash"}, {"seqlen", "128,256"}, {"seqlen-kv", "512,1024"}});
  auto e = fa::expand(s, mask_kernel);
  std::vector<std::pair<std::int64_t, std::int64_t>> got;
  for (const auto& p : e.points) got.emplace_back(p.problem.seqlen_q, p.problem.seqlen_kv);
  CHECK(got == std::vector<std::pair<std::int64_t, std::int64_t>>{{128, 512}, {128, 1024}, {256, 512}, {256, 1024}});

  fa::set_axis(s, "seqlen-kv", "same");
  e = fa::expand(s, mask_kernel);
  REQUIRE(e.points.size() == 2);
  for (const auto& p : e.points) CHECK(p.problem.seqlen_kv == p.problem.seqlen_q);
}

TEST_CASE("scalar settings reach every point", "[sweep]") {
  const auto s = spec_with({{"kernel", "block_sparse"},
                            {"layout", "bnhd"},
                            {"scale", "0.2"},
                            {"seed", "99"},
                            {"block", "64x32"},
                            {"sparsity", "local"},
                            {"density", "0.5"},
                            {"causal", "both"}});
  const auto e = fa::expand(s, mask_kernel);
  REQUIRE(e.points.size() == 2);
  for (const auto& p : e.points) {
    CHECK(p.problem.layout == fa::Layout::bnhd);
    CHECK(p.problem.softmax_scale == 0.2);
    CHECK(p.problem.seed == 99u);
    CHECK((p.problem.sparsity.block_q == 64 && p.problem.sparsity.block_k == 32));
  }
  CHECK((!e.points[0].problem.causal && e.points[1].problem.causal));
}

TEST_CASE("a sweep beyond the point limit is refused before allocating", "[sweep]") {
  const auto s = spec_with({{"kernel", "flash,standard"}, {"seqlen", "1:100000:+1"}, {"head-dim", "1:10:+1"}});
  CHECK_THROWS_WITH(fa::expand(s, mask_kernel), Contains("2000000 points") && Contains("1000000"));
}
