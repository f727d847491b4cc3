// Decoding points (few query rows against a long K/V cache) on the flash family, whose forward runs
// split-K/V there (kernels/flash/flash_decode_plan.hpp), against the float64 reference:
//  - Nq 1, 4, 16 x Nk 1, 17, 1000, 4097 x Hq/Hkv 32/8, 32/1, 8/8 x causal both, fp16/bf16 alternating;
//    Nk 65536 with fewer heads where the reference's cost asks for it; head dim 128; bnhd; outputs
//    NaN-poisoned before each run (measure/verify.hpp), every element written, within tolerance;
//  - each point's path is the plan's (split exactly when Nq x group <= 64), and a split point with
//    chunks allocates the plan's partials as its scratch (the split kernels really ran), and runs
//    repeat bit for bit;
//  - the rows that see no key (causal, Nq > Nk) come out as O = 0, lse = -inf (the verify compares them);
//  - FA_FLASH_DECODE=off (the normal path, for comparing the two) and its bad values.
#include <catch2/catch.hpp>

#include "kernels/families_built.hpp"

#if FA_FAMILY_FLASH
#include <cstdint>
#include <string>

#include "core/kernel.hpp"
#include "core/problem.hpp"
#include "kernels/flash/flash_decode.hpp"
#include "measure/operands.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"
#include "tests/scoped_env.hpp"

namespace {

using fa::DType;
using fa::Layout;
using fa::Pass;
using fa::testing::require_kernel;
using fa::testing::Shape;

fa::testing::SeedSequence data_seeds{93000};

using Heads = fa::testing::HeadCounts;

fa::Point decode_point(DType dt, Heads heads, std::int64_t nq, std::int64_t nk, bool causal, std::int64_t d = 64,
                       Layout layout = Layout::bhnd, std::int64_t batch = 1) {
  Shape s;
  s.b = batch, s.h = heads.q, s.nq = nq, s.nk = nk, s.d = d;
  fa::Point pt = fa::testing::attention_point("flash", Pass::fwd, dt, s, causal, 0.0, layout,
                                              fa::testing::shape_seed(0xdec0ULL, s));
  pt.problem.kv_heads = fa::stored_kv_heads(heads.q, heads.kv);
  return pt;
}

// The point verifies, and the forward took the path the rule says: split exactly when the query rows
// of one K/V head fit one tile (these points are all D 64/128 without dropout), which the row note
// reports; more rows take the normal path without a note.
void check_decode_point(fa::AttentionKernel& k, const fa::Point& pt) {
  const fa::Problem& p = pt.problem;
  const bool want_split = p.seqlen_q * p.kv_group() <= fa::flash::kDecodeMaxRows;
  const std::string note = k.point_note(p, pt.pass);
  INFO(fa::point_label(pt) << " Nq" << p.seqlen_q << " Nk" << p.seqlen_kv << ": " << note);
  if (want_split) {
    CHECK(note.rfind("flash: split-K/V decode", 0) == 0);
  } else {
    CHECK(note.empty());
  }
  fa::testing::check_labelled_point(k, pt, data_seeds.next());
}

}  // namespace

TEST_CASE("decode: flash Nq 1/4/16 x Nk 1..4097 x 32/8, 32/1, 8/8, causal both", "[gpu][decode]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  int i = 0;
  for (std::int64_t nq : {1, 4, 16})
    for (std::int64_t nk : {1, 17, 1000, 4097})
      for (const Heads heads : {Heads{32, 8}, Heads{32, 1}, Heads{8, 8}})
        for (bool causal : {false, true}) {
          const DType dt = (i++ % 2 == 0) ? DType::fp16 : DType::bf16;
          check_decode_point(*k, decode_point(dt, heads, nq, nk, causal));
        }
}

TEST_CASE("decode: flash Nk 65536 (chunks combined), head dim 128, bnhd", "[gpu][decode]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  // The reference's cost at 65536 keys is the host inputs (random normals for every K/V head) and,
  // at Nq 16, the matmuls: 32/8 once at Nq 1; elsewhere groups of 4 over 2 K/V heads (8/2: the same
  // packing as 32/8), MQA over 32 heads (K/V one head), and 4/4 as the multi-head control.
  const struct {
    std::int64_t nq;
    Heads heads;
  } long_points[] = {{1, {32, 8}}, {1, {32, 1}}, {1, {4, 4}},  {4, {8, 2}}, {4, {32, 1}},
                     {4, {4, 4}},  {16, {8, 2}}, {16, {4, 4}}, {16, {8, 1}}};
  int i = 0;
  for (const auto& lp : long_points) {  // dtype and causal in all four combinations along the list
    const DType dt = i % 2 == 0 ? DType::fp16 : DType::bf16;
    const bool causal = (i / 2) % 2 == 1;
    ++i;
    check_decode_point(*k, decode_point(dt, lp.heads, lp.nq, 65536, causal));
  }
  check_decode_point(*k, decode_point(DType::bf16, {8, 2}, 1, 65536, false, 128));
  check_decode_point(*k, decode_point(DType::fp16, {32, 8}, 4, 4097, true, 128));
  check_decode_point(*k, decode_point(DType::bf16, {8, 8}, 16, 1000, true, 128));
  check_decode_point(*k, decode_point(DType::bf16, {32, 8}, 4, 4097, true, 64, Layout::bnhd, 2));
  check_decode_point(*k, decode_point(DType::fp16, {32, 1}, 1, 1000, false, 128, Layout::bnhd, 2));
}

TEST_CASE("decode: a split point with chunks runs the split kernels with the plan's scratch, re-runnably", "[gpu][decode]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  const fa::Problem p = decode_point(DType::bf16, {32, 8}, 1, 65536, false).problem;
  const fa::flash::DecodeShape s = fa::flash::decode_shape(p, false);
  const fa::flash::DecodePlan plan = fa::flash::decode_plan(s);
  INFO(fa::flash::decode_note(s, plan));
  REQUIRE(plan.split);
  REQUIRE(plan.chunks > 1);
  CHECK(plan.chunks * plan.tiles_per_chunk >= plan.kv_tiles);
  CHECK((plan.chunks - 1) * plan.tiles_per_chunk < plan.kv_tiles);  // no empty chunk
  const std::size_t partials = fa::flash::decode_workspace_bytes(s, plan);
  CHECK(partials == 8u * plan.chunks * 4 * (64 + 1) * sizeof(float));
  CHECK(k->workspace_bytes(p, Pass::fwd) == partials);
  // prepare() allocates the partials only on the split path, and the runs need them.
  CHECK(fa::testing::time_kernel_pass(*k, p, Pass::fwd).scratch_peak_bytes == partials);

  // Re-runnable: the partials are rewritten by every run, so three runs give one run's outputs exactly.
  const fa::Problem rerun = decode_point(DType::fp16, {32, 8}, 4, 8192, true).problem;
  REQUIRE(fa::flash::decode_plan(fa::flash::decode_shape(rerun, false)).chunks > 1);
  const fa::HostInputs in = fa::make_host_inputs(rerun, Pass::fwd, 1.0, data_seeds.next());
  fa::testing::DirectRun once(rerun, Pass::fwd, in), thrice(rerun, Pass::fwd, in);
  once.run(*k, 1);
  thrice.run(*k, 3);
  for (fa::Tensor t : {fa::Tensor::o, fa::Tensor::lse}) {
    INFO(fa::to_string(t));
    CHECK(once.ops.download(t) == thrice.ops.download(t));
  }

  // The bar's point (B 8, 32/8, D 128, Nk 32768): enough CTAs for every SM.
  const fa::Problem bar = decode_point(DType::bf16, {32, 8}, 1, 32768, false, 128, Layout::bhnd, 8).problem;
  const fa::flash::DecodePlan bar_plan = fa::flash::decode_plan(fa::flash::decode_shape(bar, false));
  INFO(fa::flash::decode_note(fa::flash::decode_shape(bar, false), bar_plan));
  CHECK(bar_plan.split);
  CHECK(bar_plan.chunks > 1);
  CHECK(bar_plan.ctas >= fa::flash::current_decode_device().sm_count);
}

TEST_CASE("decode: FA_FLASH_DECODE=off takes the normal path, a bad value is refused", "[gpu][decode]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  const fa::Point pt = decode_point(DType::bf16, {32, 8}, 4, 4097, true);
  {
    fa::testing::ScopedEnv off("FA_FLASH_DECODE", "off");
    CHECK(k->point_note(pt.problem, pt.pass) == "flash: normal path, not split-K/V decode (FA_FLASH_DECODE=off)");
    CHECK(k->workspace_bytes(pt.problem, pt.pass) == 0);
    fa::testing::check_labelled_point(*k, pt, data_seeds.next());
  }
  fa::testing::ScopedEnv bad("FA_FLASH_DECODE", "yes");
  CHECK(k->supports(pt.problem, pt.pass).reason ==
        "flash: FA_FLASH_DECODE='yes' is not valid (accepted: auto, off; unset: auto)");
}

// One small point of each split shape for compute-sanitizer (memcheck, racecheck: the epilogue reuses
// the K/V stages); hidden from normal runs.
TEST_CASE("decode: sanitizer points", "[.decode_sanitize]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("flash");
  check_decode_point(*k, decode_point(DType::fp16, {32, 8}, 1, 1000, false));               // 16-row tile, chunks
  check_decode_point(*k, decode_point(DType::bf16, {32, 1}, 1, 700, true, 128, Layout::bnhd));  // 32 rows
  check_decode_point(*k, decode_point(DType::bf16, {32, 8}, 16, 300, true, 128));           // 64 rows
}
#endif
