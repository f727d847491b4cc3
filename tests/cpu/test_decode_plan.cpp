// The flash family's split-K/V decision (kernels/flash/flash_decode_plan.hpp) on hand-worked cases:
// which points split, how many chunks an H100/H200 (132 SMs, 228 KB shared memory per SM) gets, the
// scratch of the partials, the row note, the IO model of a split forward, and the llm-decode sweep.
#include <catch2/catch.hpp>

#include <cstdint>
#include <set>
#include <string_view>

#include "kernels/flash/flash_decode_plan.hpp"
#include "measure/io_model.hpp"
#include "sweep/expand.hpp"
#include "sweep/sweep_file.hpp"

namespace {

using fa::flash::DecodeDevice;
using fa::flash::DecodePlan;
using fa::flash::DecodeShape;

DecodeShape shape(std::int64_t b, std::int64_t hkv, std::int64_t group, std::int64_t nq, std::int64_t nk,
                  std::int64_t d = 128) {
  DecodeShape s;
  s.batch = b, s.kv_heads = hkv, s.kv_group = group, s.seqlen_q = nq, s.seqlen_kv = nk, s.head_dim = d;
  s.dtype = fa::DType::bf16;
  return s;
}

}  // namespace

TEST_CASE("decode plan: split only for few rows per K/V head, D 64/128, no dropout or mask", "[decode]") {
  const DecodeDevice h200;
  CHECK(plan_decode(shape(8, 8, 4, 1, 32768), h200).split);
  CHECK(plan_decode(shape(8, 8, 4, 16, 32768), h200).split);  // 64 rows
  CHECK_FALSE(plan_decode(shape(8, 1, 32, 4, 32768), h200).split);  // 128 rows
  CHECK(plan_decode(shape(8, 1, 32, 4, 32768), h200).why_not == "more than 64 query rows per K/V head");
  CHECK_FALSE(plan_decode(shape(8, 8, 4, 1, 32768, 96), h200).split);
  DecodeShape drop = shape(8, 8, 4, 1, 32768);
  drop.dropout = true;
  CHECK_FALSE(plan_decode(drop, h200).split);
  DecodeShape fp32 = shape(8, 8, 4, 1, 32768);
  fp32.dtype = fa::DType::fp32;
  CHECK_FALSE(plan_decode(fp32, h200).split);
}

TEST_CASE("decode plan: row tiles and CTAs per SM from the shared memory", "[decode]") {
  const DecodeDevice h200;
  const DecodePlan a = plan_decode(shape(8, 8, 4, 1, 32768), h200);
  CHECK(a.rows == 4);
  CHECK(a.row_tiles == 1);
  CHECK(a.ctas_per_sm == 2);  // 16 + 6 x 64 rows x 256 B = 100 KB
  CHECK(plan_decode(shape(8, 1, 32, 1, 32768), h200).row_tiles == 2);
  CHECK(plan_decode(shape(8, 8, 4, 16, 32768), h200).row_tiles == 4);
  CHECK(plan_decode(shape(8, 8, 4, 16, 32768, 64), h200).ctas_per_sm == 4);  // 56 KB + 1 KB reserved
}

TEST_CASE("decode plan: the fewest chunks that fill the SMs in even waves", "[decode]") {
  const DecodeDevice h200;
  // The bar's point: 64 K/V heads, 512 tiles, 264 slots: 4 chunks fill 256 of them (97 %).
  const DecodePlan bar = plan_decode(shape(8, 8, 4, 1, 32768), h200);
  CHECK(bar.kv_tiles == 512);
  CHECK(bar.chunks == 4);
  CHECK(bar.tiles_per_chunk == 128);
  CHECK(bar.ctas == 256);
  // One K/V head: as many chunks as fill the slots, at least one tile each.
  const DecodePlan one = plan_decode(shape(1, 1, 1, 1, 4096), h200);
  CHECK(one.chunks <= one.kv_tiles);
  CHECK(one.chunks >= 50);
  CHECK((one.chunks - 1) * one.tiles_per_chunk < one.kv_tiles);
  // Short caches: one chunk, no scratch.
  const DecodePlan shortkv = plan_decode(shape(8, 8, 4, 1, 17), h200);
  CHECK(shortkv.chunks == 1);
  CHECK(decode_workspace_bytes(shape(8, 8, 4, 1, 17), shortkv) == 0);
  // Already many waves of K/V heads: splitting buys nothing.
  CHECK(plan_decode(shape(64, 33, 1, 1, 4096), h200).chunks == 1);
  // Partials: fp32 O and lse per chunk and row.
  CHECK(decode_workspace_bytes(shape(8, 8, 4, 1, 32768), bar) == 64u * 4 * 4 * 129 * 4);
}

TEST_CASE("decode plan: the row note", "[decode]") {
  const DecodeDevice h200;
  const DecodeShape s = shape(8, 8, 4, 1, 32768);
  CHECK(decode_note(s, plan_decode(s, h200)) ==
        "flash: split-K/V decode, 4 rows per K/V head (Nq 1 x group 4), 4 chunks of 8192 keys, 256 CTAs (2 per SM)");
  const DecodeShape d96 = shape(8, 8, 4, 1, 32768, 96);
  CHECK(decode_note(d96, plan_decode(d96, h200)) == "flash: normal path, not split-K/V decode (head dim not 64 or 128)");
  const DecodeShape train = shape(8, 8, 4, 4096, 4096);
  CHECK(decode_note(train, plan_decode(train, h200)).empty());
}

TEST_CASE("decode plan: the IO model of a split forward is K + V + Q + O + the partials", "[decode]") {
  fa::Point pt;
  pt.kernel = "flash";
  pt.pass = fa::Pass::fwd;
  fa::Problem& p = pt.problem;
  p.batch = 8, p.heads = 32, p.kv_heads = 8, p.seqlen_q = 1, p.seqlen_kv = 32768, p.head_dim = 128;
  p.dtype = fa::DType::bf16;
  fa::IoModelParams prm;  // 132 SMs, 50 MB L2
  const fa::IoPrediction r = fa::predict_io(pt, "flash", prm);
  REQUIRE(r.modelled);
  CHECK_THAT(r.note, Catch::Contains("split-K/V decode forward, 4 chunks"));
  const double kv = 8.0 * 8 * 32768 * 128 * 2, q = 8.0 * 32 * 128 * 2, lse = 8.0 * 32 * 4;
  const double partials = 8.0 * 8 * 4 * 4 * (128 + 1) * 4;  // B*Hkv x chunks x rows x (D + 1) fp32
  CHECK(r.hbm_read_bytes == Approx(2 * kv + q + partials));
  CHECK(r.hbm_write_bytes == Approx(q + lse + partials));
  // The backward of a decode point keeps the fused model; fwdbwd lists the split forward first.
  pt.pass = fa::Pass::fwdbwd;
  const fa::IoPrediction both = fa::predict_io(pt, "flash", prm);
  REQUIRE(both.modelled);
  CHECK(both.terms.front().kernel == "flash decode split-K/V");
}

TEST_CASE("llm-decode: 32/8 heads, Nq 1 and 4 against caches of 4k-128k, every point split on flash", "[decode][sweep]") {
  fa::SweepSpec base;
  base.known_kernels = {"reference", "standard", "flash", "flash3", "block_sparse", "cudnn", "ring"};
  const auto e = fa::expand(fa::load_builtin_sweep("llm-decode", base), [](std::string_view) { return false; });
  REQUIRE(e.points.size() == 72);  // 3 kernels x 2 query lengths x 6 cache lengths x 2 causal
  std::set<std::int64_t> nk;
  for (const auto& pt : e.points) {
    const fa::Problem& p = pt.problem;
    CHECK((p.batch == 8 && p.heads == 32 && p.num_kv_heads() == 8 && p.head_dim == 128));
    CHECK((p.seqlen_q == 1 || p.seqlen_q == 4));
    nk.insert(p.seqlen_kv);
    if (pt.kernel == "flash") CHECK(plan_decode(fa::flash::decode_shape(p, false), DecodeDevice{}).split);
  }
  CHECK(nk == std::set<std::int64_t>{4096, 8192, 16384, 32768, 65536, 131072});
}
