// Variable-length (packed) batches (--varlen) on the GPU families that implement them (flash, cudnn)
// against the float64 reference, which runs each sequence as its own problem
// (tests/cpu/test_reference_varlen.cpp checks that against the fixed-length batch):
//  - lengths 1, 17, 1000, 4097 in one batch (a one-token sequence, ragged tiles, a sequence longer
//    than the others by 4x, so most of the grid's blocks exit early), and a uniform draw;
//  - fp16/bf16, causal and not, fwd and bwd, outputs NaN-poisoned before each run (measure/verify.hpp):
//    every element of every sequence written and within the dtype's tolerance;
//  - grouped K/V heads, dropout and head dim 128 with varlen where the family has them;
//  - the families that do not implement varlen batches refuse them with the reason.
// Work is kept small (2 heads, D 64) for the float64 reference: the file runs in well under a minute.
#include <catch2/catch.hpp>

#include "kernels/families_built.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "core/kernel.hpp"
#include "core/problem.hpp"
#include "core/varlen.hpp"
#include "kernels/point_kernels.hpp"
#include "kernels/registry.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace {

using fa::DType;
using fa::Pass;
using fa::testing::require_kernel;

fa::testing::SeedSequence data_seeds{93000};

constexpr const char* kMixed = "fixed-list:1,17,1000,4097";

struct VarlenShape {
  const char* dist = kMixed;
  std::int64_t batch = 0;  // uniform: the number of sequences
  std::int64_t heads = 2, kv_heads = 2, d = 64;
  double dropout = 0.0;
};

// A varlen point as the sweep makes it (sweep/expand.cpp): lengths from the distribution and seed,
// packed layout, seqlen_q = seqlen_kv = the longest.
fa::Point varlen_point(std::string_view kernel, Pass pass, DType dt, bool causal, const VarlenShape& s) {
  fa::Point pt;
  pt.kernel = std::string(kernel);
  pt.pass = pass;
  fa::Problem& p = pt.problem;
  p.heads = s.heads;
  p.kv_heads = fa::stored_kv_heads(s.heads, s.kv_heads);
  p.head_dim = s.d;
  p.dtype = dt;
  p.causal = causal;
  p.dropout = s.dropout;
  p.seed = 0x7a11e;
  p.layout = fa::Layout::bnhd;
  p.varlen = s.dist;
  p.seqlens = fa::varlen_lengths(s.dist, s.batch, p.seed);
  p.batch = static_cast<std::int64_t>(p.seqlens.size());
  p.seqlen_q = p.seqlen_kv = *std::max_element(p.seqlens.begin(), p.seqlens.end());
  return pt;
}

struct Counts {
  int refused_fwd = 0, refused_bwd = 0, ran_bwd = 0;
};

// The mixed lengths over dtype x causal x pass, then a uniform draw with grouped K/V heads.
Counts check_family(std::string_view kernel, bool vendor) {
  auto k = require_kernel(kernel);
  Counts n;
  auto one = [&](const fa::Point& pt) {
    const bool ran = fa::testing::check_point_unless_vendor_refuses(*k, pt, vendor, data_seeds.next());
    if (pt.pass == Pass::fwd && !pt.problem.grouped_kv()) n.refused_fwd += !ran;  // grouped: a warning only
    if (pt.pass == Pass::bwd) (ran ? n.ran_bwd : n.refused_bwd) += 1;
  };
  for (DType dt : {DType::fp16, DType::bf16})
    for (bool causal : {false, true})
      for (Pass pass : {Pass::fwd, Pass::bwd}) one(varlen_point(kernel, pass, dt, causal, VarlenShape{}));
  VarlenShape grouped;
  grouped.dist = "uniform:1:700";
  grouped.batch = 6;
  grouped.heads = 4;
  grouped.kv_heads = 2;
  for (bool causal : {false, true})
    for (Pass pass : {Pass::fwd, Pass::bwd}) one(varlen_point(kernel, pass, DType::bf16, causal, grouped));
  return n;
}

}  // namespace

#if FA_FAMILY_FLASH
TEST_CASE("varlen: flash fwd and bwd against the reference (lengths 1, 17, 1000, 4097, a uniform draw)",
          "[gpu][varlen]") {
  FA_REQUIRE_GPU();
  check_family("flash", /*vendor=*/false);
}

TEST_CASE("varlen: flash with dropout, head dim 128 and fwd+bwd", "[gpu][varlen]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  VarlenShape drop;
  drop.dist = "uniform:1:300";
  drop.batch = 5;
  drop.dropout = 0.17;
  // The dropout mask is drawn per sequence with its index as the batch coordinate, as the reference does.
  for (Pass pass : {Pass::fwd, Pass::bwd}) fa::testing::check_labelled_point(*k, varlen_point("flash", pass, DType::fp16, true, drop), data_seeds.next());
  VarlenShape wide;
  wide.dist = "fixed-list:130,1,257";
  wide.d = 128;
  fa::testing::check_labelled_point(*k, varlen_point("flash", Pass::fwdbwd, DType::bf16, false, wide), data_seeds.next());
}
#endif

#if FA_FAMILY_CUDNN
TEST_CASE("varlen: cudnn (ragged tensors, padding mask) against the reference", "[gpu][varlen]") {
  FA_REQUIRE_GPU();
  // cuDNN has taken ragged forward graphs on sm_90 since 9.x: every multi-head forward point must run.
  // A backward point, or a grouped one, the loaded version refuses is a warning with cuDNN's reason
  // (the row would carry it), but some backward points must run.
  const Counts n = check_family("cudnn", /*vendor=*/true);
  INFO("backward points run " << n.ran_bwd << ", refused " << n.refused_bwd);
  CHECK(n.refused_fwd == 0);
  CHECK(n.ran_bwd > 0);
}
#endif

TEST_CASE("varlen: families without variable-length batches refuse them with the reason", "[gpu][varlen]") {
  FA_REQUIRE_GPU();
  int checked = 0;
  for (const char* name : {"standard", "block_sparse", "ring", "flash3"}) {
    const fa::KernelEntry* e = fa::find_kernel_entry(name);
    if (!e || e->state != fa::KernelState::available) continue;
    ++checked;
    INFO(name);
    const fa::Point pt = varlen_point(name, Pass::fwd, DType::bf16, false, VarlenShape{});
    // What a sweep row says: the family's face does not claim varlen batches.
    const fa::PointKernel pk = fa::describe_point_kernel(pt, true, 0);
    CHECK_FALSE(pk.runnable);
    const std::string why = std::string(name) + ": variable-length batches (--varlen " + kMixed + ") not implemented";
    if (pk.state == "unsupported") CHECK(pk.reason == why);  // ring and flash3 may first be unavailable here
    // And in their own supports() (flash3's face refuses for it: its sources are not this change's).
    if (std::string(name) != "flash3") CHECK(require_kernel(name)->supports(pt.problem, pt.pass).reason == why);
  }
  REQUIRE(checked > 0);  // standard and block_sparse are built wherever CUDA is
}
