// Grouped-query and multi-query attention (--kv-heads) on the GPU families that implement it (flash,
// flash3, cudnn, standard) against the float64 reference, which reads K/V head h / (H / Hkv) and sums dK, dV
// over each group (tests/cpu/test_reference_gqa.cpp checks that against the definition):
//  - Hq/Hkv = 32/8, 32/1 and 16/16 (the multi-head control), fp16/bf16, causal and not, fwd and bwd,
//    ragged lengths 17, 255, 1000 (Nq < Nk and Nq > Nk too), outputs NaN-poisoned before each run
//    (measure/verify.hpp), every output element written and within the dtype's tolerance;
//  - the bnhd layout, flash's dK/dV accumulators re-zeroed on every run and counted in its scratch;
//  - flash3 (sm_90 only): its backward walks a group's query heads in one CTA per K/V head and key block,
//    so also every head dim it has, dropout (the keep mask of each step's own query head) and fwd+bwd;
//  - the families that do not implement grouped K/V heads refuse them with the reason.
#include <catch2/catch.hpp>

#include "kernels/families_built.hpp"

#include <cmath>
#include <cstdint>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "core/kernel.hpp"
#include "core/problem.hpp"
#include "kernels/point_kernels.hpp"
#include "measure/operands.hpp"
#include "tests/gpu/flash3_test_points.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace {

using fa::DType;
using fa::Layout;
using fa::Pass;
using fa::testing::require_kernel;
using fa::testing::Shape;

fa::testing::SeedSequence data_seeds{91000};

using Heads = fa::testing::HeadCounts;
constexpr Heads kHeadRatios[] = {{32, 8}, {32, 1}, {16, 16}};

// (Nq, Nk): ragged lengths, equal and both ways unequal (causal rows that see no key when Nq > Nk).
constexpr std::pair<std::int64_t, std::int64_t> kLengths[] = {{17, 17}, {255, 255}, {1000, 1000}, {255, 1000},
                                                              {1000, 255}};

fa::Point gqa_point(std::string_view kernel, Pass pass, DType dt, Heads heads, std::int64_t nq, std::int64_t nk,
                    bool causal, Layout layout = Layout::bhnd, std::int64_t d = 64, double dropout = 0.0) {
  Shape s;
  s.b = 1, s.h = heads.q, s.nq = nq, s.nk = nk, s.d = d;
  fa::Point pt = fa::testing::attention_point(kernel, pass, dt, s, causal, dropout, layout,
                                              fa::testing::shape_seed(0x9a00ULL, s));
  pt.problem.kv_heads = fa::stored_kv_heads(heads.q, heads.kv);
  return pt;
}

// Our own kernels must take every point. cuDNN decides by its version and engine: a point it refuses
// is said (its reason, which the row would carry) and not verified, and the caller counts them.
enum class Refusals { none, vendor };

// Verifies the point; returns false when a vendor kernel refused it (said with the reason).
bool check_gqa_point(fa::AttentionKernel& k, const fa::Point& pt, Refusals refusals) {
  return fa::testing::check_point_unless_vendor_refuses(k, pt, refusals == Refusals::vendor, data_seeds.next());
}

// Every head ratio x dtype x causal x pass once, the lengths rotating through kLengths so that each
// family sees every length with grouped heads; then every length at 32/8 bf16 causal backward.
// 1000 x 1000 x 32 heads x D 64 stays within the whole-problem reference scope, so dK/dV are
// compared for every K/V head. Counts what a vendor kernel refused and what ran, by pass.
struct FamilyCounts {
  int refused_fwd = 0, refused_bwd = 0, ran_bwd = 0;
};

FamilyCounts check_family(std::string_view kernel, Refusals refusals = Refusals::none) {
  auto k = require_kernel(kernel);
  FamilyCounts n;
  auto one = [&](const fa::Point& pt) {
    const bool ran = check_gqa_point(*k, pt, refusals);
    if (pt.pass == Pass::fwd) n.refused_fwd += !ran;
    if (pt.pass == Pass::bwd) (ran ? n.ran_bwd : n.refused_bwd) += 1;
  };
  std::size_t i = 0;
  for (const Heads& heads : kHeadRatios)
    for (DType dt : {DType::fp16, DType::bf16})
      for (bool causal : {false, true})
        for (Pass pass : {Pass::fwd, Pass::bwd}) {
          const auto [nq, nk] = kLengths[i++ % std::size(kLengths)];
          one(gqa_point(kernel, pass, dt, heads, nq, nk, causal));
        }
  for (const auto& [nq, nk] : kLengths) one(gqa_point(kernel, Pass::bwd, DType::bf16, {32, 8}, nq, nk, true));
  return n;
}

}  // namespace

#if FA_FAMILY_FLASH
TEST_CASE("gqa: flash fwd and bwd against the reference (32/8, 32/1, 16/16)", "[gpu][gqa]") {
  FA_REQUIRE_GPU();
  check_family("flash");
}

TEST_CASE("gqa: flash bnhd layout and head dim 128", "[gpu][gqa]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  for (Pass pass : {Pass::fwd, Pass::bwd, Pass::fwdbwd})
    for (const Heads heads : {Heads{32, 8}, Heads{32, 1}}) {
      fa::testing::check_labelled_point(*k, gqa_point("flash", pass, DType::bf16, heads, 255, 1000, true, Layout::bnhd),
                                        data_seeds.next());
      fa::testing::check_labelled_point(
          *k, gqa_point("flash", pass, DType::fp16, heads, 255, 255, false, Layout::bhnd, 128), data_seeds.next());
    }
}

TEST_CASE("gqa: flash backward re-zeroes its dK/dV accumulators and counts them in scratch", "[gpu][gqa]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  const fa::Point pt = gqa_point("flash", Pass::bwd, DType::bf16, {32, 8}, 255, 255, false);
  const fa::Problem& p = pt.problem;
  const fa::HostInputs in = fa::make_host_inputs(p, Pass::bwd, 1.0, data_seeds.next());
  fa::testing::DirectRun once(p, Pass::bwd, in), thrice(p, Pass::bwd, in);
  once.run(*k, 1);
  thrice.run(*k, 3);  // without re-zeroing, dK/dV would be three times too large
  for (fa::Tensor t : {fa::Tensor::dk, fa::Tensor::dv}) {
    const std::vector<double> a = once.ops.download(t), b = thrice.ops.download(t);
    REQUIRE(a.size() == static_cast<std::size_t>(fa::kv_elements(p)));
    double num = 0, den = 0;
    for (std::size_t i = 0; i < a.size(); ++i) num += (a[i] - b[i]) * (a[i] - b[i]), den += a[i] * a[i];
    INFO(fa::to_string(t));
    CHECK(den > 0);
    CHECK(std::sqrt(num / den) < 1e-2);  // atomics sum in a varying order: bf16 rounding apart at most
  }
  // Scratch: the MHA workspace plus two fp32 accumulators of B x Hkv x Nk x D.
  fa::Problem mha = p;
  mha.kv_heads = 0;
  const std::size_t accum = 2 * static_cast<std::size_t>(fa::kv_elements(p)) * sizeof(float);
  CHECK(k->workspace_bytes(p, Pass::bwd) >= k->workspace_bytes(mha, Pass::bwd) + accum);
  CHECK(k->workspace_bytes(p, Pass::bwd) <= k->workspace_bytes(mha, Pass::bwd) + accum + 512);
  CHECK(fa::testing::time_kernel_pass(*k, p, Pass::bwd).scratch_peak_bytes == k->workspace_bytes(p, Pass::bwd));
}
#endif

#if FA_FAMILY_FLASH3
TEST_CASE("gqa: flash3 fwd and bwd against the reference (32/8, 32/1, 16/16)", "[gpu][gqa]") {
  FA_REQUIRE_GPU();
  fa::testing::require_flash3(Pass::bwd);  // sm_90 only: elsewhere the test stops with the reason
  check_family("flash3");
}

// The backward's other instances (D 96 and 128, dropout) and the fused pass, with groups of 4 and 32: a
// group's query heads share a CTA, so a wrong head or a wrong block of the step shows as a dQ of the
// wrong head or a dK/dV missing heads; dropout draws each step's mask with its own query head.
TEST_CASE("gqa: flash3 head dims 96 and 128, bnhd, dropout, fwd+bwd", "[gpu][gqa]") {
  FA_REQUIRE_GPU();
  auto k = fa::testing::require_flash3(Pass::bwd);
  for (Pass pass : {Pass::fwd, Pass::bwd, Pass::fwdbwd})
    for (const Heads heads : {Heads{32, 8}, Heads{32, 1}}) {
      fa::testing::check_labelled_point(
          *k, gqa_point("flash3", pass, DType::bf16, heads, 255, 1000, true, Layout::bnhd, 128), data_seeds.next());
      fa::testing::check_labelled_point(
          *k, gqa_point("flash3", pass, DType::fp16, heads, 1000, 255, false, Layout::bhnd, 96), data_seeds.next());
      fa::testing::check_labelled_point(
          *k, gqa_point("flash3", pass, DType::bf16, heads, 255, 255, true, Layout::bhnd, 64, 0.17), data_seeds.next());
    }
}

// Small grouped points for compute-sanitizer (racecheck, synccheck); hidden from normal runs.
TEST_CASE("gqa: flash3 sanitizer points", "[.flash3_gqa_sanitize]") {
  FA_REQUIRE_GPU();
  auto k = fa::testing::require_flash3(Pass::bwd);
  for (const Heads heads : {Heads{4, 2}, Heads{4, 1}}) {
    fa::testing::check_labelled_point(*k, gqa_point("flash3", Pass::fwdbwd, DType::fp16, heads, 200, 130, true,
                                                    Layout::bhnd, 64, 0.17),
                                      data_seeds.next());
    fa::testing::check_labelled_point(
        *k, gqa_point("flash3", Pass::fwdbwd, DType::bf16, heads, 130, 200, false, Layout::bnhd, 128),
        data_seeds.next());
  }
}
#endif

#if FA_FAMILY_CUDNN
TEST_CASE("gqa: cudnn fwd and bwd against the reference (32/8, 32/1, 16/16)", "[gpu][gqa]") {
  FA_REQUIRE_GPU();
  // cuDNN's SDPA forward has taken grouped K/V heads for several major versions: every forward point
  // must run. A backward point the loaded version refuses is a warning with cuDNN's reason, but some
  // backward points must run, or the backward would go unchecked with the test green.
  const FamilyCounts n = check_family("cudnn", Refusals::vendor);
  INFO("backward points run " << n.ran_bwd << ", refused " << n.refused_bwd);
  CHECK(n.refused_fwd == 0);
  CHECK(n.ran_bwd > 0);
}

TEST_CASE("gqa: cudnn bnhd layout and head dim 128", "[gpu][gqa]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("cudnn");
  for (Pass pass : {Pass::fwd, Pass::bwd})
    for (const Heads heads : {Heads{32, 8}, Heads{32, 1}}) {
      // Forward points must run (see above); a refused backward point is a warning.
      const bool a = check_gqa_point(*k, gqa_point("cudnn", pass, DType::bf16, heads, 255, 1000, true, Layout::bnhd),
                                     Refusals::vendor);
      const bool b = check_gqa_point(*k, gqa_point("cudnn", pass, DType::fp16, heads, 255, 255, false, Layout::bhnd, 128),
                                     Refusals::vendor);
      if (pass == Pass::fwd) CHECK((a && b));
    }
}
#endif

#if FA_FAMILY_STANDARD
TEST_CASE("gqa: standard fwd and bwd against the reference (32/8, 32/1, 16/16)", "[gpu][gqa]") {
  FA_REQUIRE_GPU();
  check_family("standard");
}

TEST_CASE("gqa: standard stacks a group's query heads (bhnd only) and says so for bnhd", "[gpu][gqa]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("standard");
  fa::testing::check_labelled_point(*k, gqa_point("standard", Pass::fwdbwd, DType::fp16, {32, 8}, 255, 255, false),
                                    data_seeds.next());
  const fa::Point bnhd = gqa_point("standard", Pass::fwd, DType::fp16, {32, 8}, 255, 255, false, Layout::bnhd);
  const fa::Support s = k->supports(bnhd.problem, bnhd.pass);
  CHECK_FALSE(s.ok);
  CHECK_THAT(s.reason, Catch::Contains("grouped K/V heads need the bhnd layout"));
}
#endif

TEST_CASE("gqa: families without grouped K/V heads refuse them with the reason", "[gpu][gqa]") {
  FA_REQUIRE_GPU();
  int checked = 0;
  for (const char* name : {"block_sparse", "ring"}) {
    if (!fa::find_kernel_entry(name) || fa::find_kernel_entry(name)->state != fa::KernelState::available) continue;
    ++checked;
    INFO(name);
    const fa::Point pt = gqa_point(name, Pass::fwd, DType::bf16, {32, 8}, 1024, 1024, false);
    // What a sweep row says: the family's face does not claim grouped K/V heads.
    const fa::PointKernel pk = fa::describe_point_kernel(pt, true, 0);
    CHECK_FALSE(pk.runnable);
    if (std::string(name) == "block_sparse") CHECK(pk.state == "unsupported");
    if (pk.state == "unsupported") {  // ring may first be unavailable on this machine
      CHECK(pk.reason == std::string(name) + ": grouped K/V heads (kv_heads 8 != heads 32) not implemented");
    }
    // And the families here say so themselves, in their own supports().
    auto k = require_kernel(name);
    CHECK(k->supports(pt.problem, pt.pass).reason ==
          std::string(name) + ": grouped K/V heads (kv_heads 8 != heads 32) not implemented");
  }
  REQUIRE(checked > 0);  // block_sparse is built wherever CUDA is: a test that checked nothing must not pass
}
