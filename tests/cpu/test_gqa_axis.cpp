// The --kv-heads axis (grouped-query / multi-query attention) from flag to file: expansion and its
// errors, --hidden ties, point keys and labels (unchanged for plain multi-head points), and the
// kv_heads column of the CSV, JSON and Markdown reports.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/flops.hpp"
#include "measure/io_model.hpp"
#include "reports/csv.hpp"
#include "reports/json.hpp"
#include "reports/markdown.hpp"
#include "sweep/expand.hpp"
#include "sweep/sweep_spec.hpp"
#include "sweep_spec_fixture.hpp"

using Catch::Matchers::Contains;

namespace {

using fa::testing::spec_with;

fa::Point gqa_point(std::int64_t heads, std::int64_t kv_heads) {
  fa::Point pt;
  pt.kernel = "flash";
  pt.problem.batch = 2;
  pt.problem.heads = heads;
  pt.problem.kv_heads = fa::stored_kv_heads(heads, kv_heads);
  pt.problem.seqlen_q = pt.problem.seqlen_kv = 1024;
  pt.problem.head_dim = 128;
  return pt;
}

}  // namespace

TEST_CASE("kv-heads: one point per K/V head count, inside heads, stored 0 when equal", "[sweep][gqa]") {
  const auto e = fa::expand(spec_with({{"kernel", "flash"}, {"heads", "32"}, {"kv-heads", "32,8,1"}, {"seqlen", "512,1024"}}), {});
  REQUIRE(e.points.size() == 6);
  const std::vector<std::int64_t> want = {0, 0, 8, 8, 1, 1};  // kv_heads outside seqlen
  for (std::size_t i = 0; i < want.size(); ++i) {
    INFO(i);
    CHECK(e.points[i].problem.kv_heads == want[i]);
    CHECK(e.points[i].problem.num_kv_heads() == (want[i] == 0 ? 32 : want[i]));
  }
  CHECK(e.points[2].problem.kv_group() == 4);
  CHECK(e.points[4].problem.kv_group() == 32);
  // Without the axis: as many K/V heads as query heads, stored as 0 (points as before the axis).
  const auto plain = fa::expand(spec_with({{"kernel", "flash"}, {"heads", "8"}}), {});
  REQUIRE(plain.points.size() == 1);
  CHECK(plain.points[0].problem.kv_heads == 0);
  CHECK_FALSE(plain.points[0].problem.grouped_kv());
  // "same" clears the axis.
  auto s = spec_with({{"kv-heads", "4"}});
  fa::set_axis(s, "kv-heads", "same");
  CHECK(s.kv_heads.empty());
}

TEST_CASE("kv-heads: bad values exit 2 naming the flag, non-dividing combinations are dropped", "[sweep][gqa]") {
  for (const char* bad : {"0", "-1", "x", "2.5", ""}) {
    INFO(bad);
    try {
      spec_with({{"kv-heads", bad}});
      FAIL("accepted");
    } catch (const fa::UsageError& e) {
      CHECK_THAT(std::string(e.what()), Contains("--kv-heads"));
    }
  }
  // 5 divides no query head count: a mistake, not a constraint.
  try {
    fa::expand(spec_with({{"kernel", "flash"}, {"heads", "16,32"}, {"kv-heads", "8,5"}}), {});
    FAIL("accepted");
  } catch (const fa::UsageError& e) {
    CHECK_THAT(std::string(e.what()), Contains("--kv-heads: 5 divides none of the query head counts (16, 32)"));
  }
  // 32 K/V heads fit 32 query heads but not 16: that combination is dropped and said.
  const auto e = fa::expand(spec_with({{"kernel", "flash"}, {"heads", "16,32"}, {"kv-heads", "32"}}), {});
  REQUIRE(e.points.size() == 1);
  CHECK(e.points[0].problem.heads == 32);
  CHECK(e.dropped_by_constraints == 1);
  REQUIRE(e.drop_reasons.size() == 1);
  CHECK(e.drop_reasons[0] == "--kv-heads 32: does not divide heads 16");
}

TEST_CASE("kv-heads under --hidden: K/V heads must divide the derived query heads", "[sweep][gqa]") {
  // hidden 4096: D64 -> 64 heads, D128 -> 32 heads; 8 K/V heads fit both, 64 only D64.
  const auto e = fa::expand(
      spec_with({{"kernel", "flash"}, {"hidden", "4096"}, {"head-dim", "64,128"}, {"kv-heads", "8,64"}}), {});
  REQUIRE(e.points.size() == 3);
  CHECK((e.points[0].problem.heads == 64 && e.points[0].problem.num_kv_heads() == 8));
  CHECK((e.points[1].problem.heads == 64 && e.points[1].problem.num_kv_heads() == 64));
  CHECK_FALSE(e.points[1].problem.grouped_kv());
  CHECK((e.points[2].problem.heads == 32 && e.points[2].problem.num_kv_heads() == 8));
  CHECK(e.dropped_by_constraints == 1);
  CHECK_THROWS_WITH(
      fa::expand(spec_with({{"kernel", "flash"}, {"hidden", "4096"}, {"head-dim", "128"}, {"kv-heads", "64"}}), {}),
      Contains("--kv-heads: 64 divides none of the query head counts (32)"));
}

TEST_CASE("kv-heads: keys and labels name K/V heads only when grouped", "[sweep][gqa]") {
  const fa::Point mha = gqa_point(32, 32), gqa = gqa_point(32, 8);
  CHECK(fa::point_key(mha) == "flash|fwd|B2|H32|Nq1024|Nk1024|D128|fp16|p0|full|s0.0883883|bhnd|dense");
  CHECK(fa::point_key(gqa) == "flash|fwd|B2|H32|KV8|Nq1024|Nk1024|D128|fp16|p0|full|s0.0883883|bhnd|dense");
  CHECK(fa::point_label(mha) == "flash/fwd/B2-H32-N1024-D128-fp16");
  CHECK(fa::point_label(gqa) == "flash/fwd/B2-H32-KV8-N1024-D128-fp16");
  // A stored 32 (not normalised) still reads as plain multi-head attention.
  fa::Point raw = mha;
  raw.problem.kv_heads = 32;
  CHECK(fa::point_key(raw) == fa::point_key(mha));
}

TEST_CASE("kv-heads: FLOPs per query head, K/V elements per K/V head", "[gqa]") {
  const fa::Point mha = gqa_point(32, 32), mqa = gqa_point(32, 1);
  CHECK(fa::effective_flops(mqa.problem, fa::Pass::fwdbwd, 1.0) == fa::effective_flops(mha.problem, fa::Pass::fwdbwd, 1.0));
  CHECK(fa::kv_elements(mqa.problem) * 32 == fa::kv_elements(mha.problem));
  CHECK(fa::q_elements(mqa.problem) == fa::q_elements(mha.problem));
}

TEST_CASE("kv-heads: the kv_heads column round-trips through CSV and JSON", "[reports][gqa]") {
  fa::Row a, b;
  a.point = gqa_point(32, 8);
  b.point = gqa_point(16, 16);
  const std::string csv = fa::csv_text({a, b});
  CHECK_THAT(csv, Contains("batch,heads,kv_heads,seqlen_q"));
  CHECK_THAT(csv, Contains("flash,fwd,2,32,8,1024"));
  CHECK_THAT(csv, Contains("flash,fwd,2,16,16,1024"));
  const std::vector<fa::Row> back = fa::parse_csv(csv, "test.csv");
  REQUIRE(back.size() == 2);
  CHECK(back[0].point == a.point);
  CHECK(back[1].point == b.point);  // 16 K/V heads read back as the stored 0
  // A file from before the axis (no kv_heads column) reads as multi-head attention.
  std::string old = csv;
  const auto header_end = old.find('\n');
  std::string header = old.substr(0, header_end);
  header.replace(header.find("kv_heads,"), 9, "");
  std::string row = "flash,fwd,2,16,1024" + old.substr(old.find("flash,fwd,2,16,16,1024") + 22);
  const std::vector<fa::Row> legacy = fa::parse_csv(header + "\n" + row, "old.csv");
  REQUIRE(legacy.size() == 1);
  CHECK(legacy[0].point == b.point);

  const nlohmann::json j = fa::results_to_json(fa::RunMetadata{}, {a, b});
  CHECK(j.dump().find("\"kv_heads\":8") != std::string::npos);
  CHECK(fa::row_from_json(fa::row_to_json(a)).point == a.point);
  CHECK(fa::row_from_json(fa::row_to_json(b)).point == b.point);
  nlohmann::json legacy_row = fa::row_to_json(b);
  legacy_row["point"]["problem"].erase("kv_heads");
  CHECK(legacy_row.dump().find("kv_heads") == std::string::npos);
  CHECK(fa::row_from_json(legacy_row).point == b.point);

  // A K/V head count that is not a positive divisor of heads is refused, naming the column and the rule
  // (read as given, -1 would have keyed like the MHA point and matched it in compare).
  for (const char* bad : {"-1", "5", "64"}) {
    std::string text = csv;
    text.replace(text.find("flash,fwd,2,32,8,1024"), 21, std::string("flash,fwd,2,32,") + bad + ",1024");
    INFO(bad);
    CHECK_THROWS_WITH(fa::parse_csv(text, "bad.csv"), Contains("kv_heads") && Contains("a positive divisor of heads"));
    nlohmann::json row = fa::row_to_json(a);
    row["point"]["problem"]["kv_heads"] = std::stoi(bad);
    CHECK_THROWS_WITH(fa::row_from_json(row), Contains("kv_heads") && Contains("a positive divisor of heads"));
  }
}

TEST_CASE("kv-heads: Markdown tables get a KV column only where some row is grouped", "[reports][gqa]") {
  fa::Row a, b;
  a.point = gqa_point(32, 8);
  b.point = gqa_point(32, 32);
  const std::string grouped = fa::markdown_report(fa::RunMetadata{}, {a, b}, fa::MarkdownOptions{});
  CHECK_THAT(grouped, Contains("| B | H | KV | Nq | Nk |"));
  CHECK_THAT(grouped, Contains("| 2 | 32 | 8 | 1024 | 1024 |"));
  CHECK_THAT(grouped, Contains("| 2 | 32 | 32 | 1024 | 1024 |"));
  const std::string plain = fa::markdown_report(fa::RunMetadata{}, {b}, fa::MarkdownOptions{});
  CHECK_THAT(plain, Contains("| B | H | Nq | Nk |"));
  CHECK_THAT(plain, !Contains("KV"));
}

TEST_CASE("kv-heads: the IO model counts K, V, dK, dV once per K/V head", "[io_model][gqa]") {
  const fa::IoModelParams prm;
  fa::Point mha = gqa_point(32, 32), gqa = gqa_point(32, 8);
  const double q = 2.0 * 32 * 1024 * 128 * 2, kv_gqa = q / 4;  // bytes of Q, and of K with 8 K/V heads
  for (const char* family : {"flash", "standard", "cudnn"}) {
    INFO(family);
    const fa::IoPrediction a = fa::predict_io(mha, family, prm), b = fa::predict_io(gqa, family, prm);
    REQUIRE(b.modelled);
    // Forward: Q and O unchanged, K and V a quarter: three quarters of 2q fewer HBM bytes.
    CHECK(a.hbm_bytes - b.hbm_bytes == Approx(2 * (q - kv_gqa)).epsilon(1e-9));
  }
  // Backward of flash: K, V are still loaded by every query head (global), once per K/V head in HBM
  // (the group's CTAs share the tiles in L2), and dK/dV go through fp32 accumulators of 8 K/V heads.
  mha.pass = gqa.pass = fa::Pass::bwd;
  const fa::IoPrediction b = fa::predict_io(gqa, "flash", prm);
  double k_global = 0, k_hbm = 0, acc_distinct = 0;
  for (const fa::IoTerm& t : b.terms) {
    if (t.tensor == "K") k_global += t.global_bytes, k_hbm += t.hbm_bytes;
    if (t.tensor == "dk_accum" && t.kernel.find("zero") != std::string::npos) acc_distinct += t.distinct_bytes;
  }
  CHECK(k_global == Approx(4 * kv_gqa));
  CHECK(k_hbm == Approx(kv_gqa));
  CHECK(acc_distinct == Approx(kv_gqa * 2));  // fp32: twice the bf16/fp16 bytes
  const fa::IoPrediction c = fa::predict_io(gqa, "cudnn", prm);
  CHECK_THAT(c.note, Contains("reduction of dK/dV over grouped K/V heads not modelled"));
}
