// The --varlen axis (variable-length packed batches) from flag to file: distributions and their
// errors, reproducible draws, expansion and the axes it must not be combined with silently, keys
// and labels (unchanged for fixed-length points), and the varlen columns of CSV, JSON and Markdown.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/varlen.hpp"
#include "reports/csv.hpp"
#include "reports/json.hpp"
#include "reports/markdown.hpp"
#include "sweep/expand.hpp"
#include "sweep/sweep_spec.hpp"
#include "sweep_spec_fixture.hpp"

using Catch::Matchers::Contains;

namespace {

using fa::testing::spec_with;

fa::Point varlen_point(const std::string& dist, std::int64_t batch) {
  const auto e = fa::expand(spec_with({{"kernel", "flash"}, {"heads", "4"}, {"varlen", dist.c_str()},
                                       {"batch", std::to_string(batch).c_str()}}),
                            {});
  REQUIRE(e.points.size() == 1);
  return e.points[0];
}

}  // namespace

TEST_CASE("varlen: distributions parse, draws are reproducible and inside their bounds", "[varlen]") {
  std::string why;
  const auto u = fa::parse_varlen_dist("uniform:1024:8192", &why);
  REQUIRE(u);
  CHECK(u->lo == 1024);
  CHECK(u->hi == 8192);
  const std::vector<std::int64_t> a = fa::varlen_lengths(*u, 16, 0x5eed), b = fa::varlen_lengths(*u, 16, 0x5eed);
  CHECK(a == b);
  CHECK(a != fa::varlen_lengths(*u, 16, 0x5eee));
  for (const std::int64_t n : a) CHECK((n >= 1024 && n <= 8192));
  // The draws of seed 0x5eed are what they were when written, on any machine: the lengths are part
  // of the point (its key names the distribution and seed, not the lengths), and a batch of 4 starts
  // like one of 16.
  CHECK(fa::varlen_lengths(*u, 4, 0x5eed) == std::vector<std::int64_t>{5435, 7019, 6419, 7169});
  CHECK(std::vector<std::int64_t>(a.begin(), a.begin() + 4) == std::vector<std::int64_t>{5435, 7019, 6419, 7169});
  const auto f = fa::parse_varlen_dist("fixed-list:1,17,1000,4097", &why);
  REQUIRE(f);
  CHECK(fa::varlen_lengths(*f, 0, 0) == std::vector<std::int64_t>{1, 17, 1000, 4097});
  for (const char* bad : {"uniform:0:5", "uniform:9:5", "uniform:5", "fixed-list:", "fixed-list:1,,2", "fixed-list:0",
                          "normal:5:9", "uniform:1:16777217"}) {
    INFO(bad);
    CHECK_FALSE(fa::parse_varlen_dist(bad, &why));
  }
  const fa::VarlenSummary s = fa::summarize_lengths({4097, 1, 1000, 17});
  CHECK(s.count == 4);
  CHECK(s.tokens == 5115);
  CHECK(s.min == 1);
  CHECK(s.median == 17);  // the lower middle value
  CHECK(s.max == 4097);
  CHECK(fa::summary_text(s) == "4 seqs, 5115 tokens, 1/17/4097 (min/median/max)");
}

TEST_CASE("varlen: expansion gives packed points, off keeps the fixed-length ones", "[sweep][varlen]") {
  const auto e = fa::expand(spec_with({{"kernel", "flash"}, {"varlen", "uniform:10:20"}, {"batch", "3,5"}}), {});
  REQUIRE(e.points.size() == 2);
  for (const fa::Point& pt : e.points) {
    const fa::Problem& p = pt.problem;
    CHECK(p.is_varlen());
    CHECK(static_cast<std::int64_t>(p.seqlens.size()) == p.batch);
    CHECK(p.layout == fa::Layout::bnhd);
    CHECK(p.seqlen_q == fa::summarize_lengths(p.seqlens).max);
    CHECK(p.seqlen_kv == p.seqlen_q);
    CHECK(fa::q_tokens(p) == fa::summarize_lengths(p.seqlens).tokens);
    CHECK(fa::seq_offsets(p).back() == fa::q_tokens(p));
  }
  CHECK(e.points[0].problem.batch == 3);
  CHECK(e.points[1].problem.batch == 5);
  // fixed-list: its count is the batch; off alongside gives the fixed-length points of the other axes.
  const auto mixed = fa::expand(
      spec_with({{"kernel", "flash"}, {"varlen", "off,fixed-list:1,17,1000"}, {"seqlen", "128,256"}, {"batch", "3"}}), {});
  REQUIRE(mixed.points.size() == 3);
  CHECK_FALSE(mixed.points[0].problem.is_varlen());
  CHECK(mixed.points[1].problem.seqlen_q == 256);
  CHECK(mixed.points[2].problem.seqlens == std::vector<std::int64_t>{1, 17, 1000});
  CHECK(mixed.points[2].problem.seqlen_q == 1000);
  // "off" alone is the default: no varlen point, nothing else changed.
  auto s = spec_with({{"varlen", "uniform:1:5"}});
  fa::set_axis(s, "varlen", "off");
  CHECK(s.varlen.empty());
}

TEST_CASE("varlen: axes that would change a varlen point silently are refused", "[sweep][varlen]") {
  auto expand = [](const std::vector<std::pair<const char*, const char*>>& axes) {
    return fa::expand(spec_with(axes), {});
  };
  CHECK_THROWS_WITH(expand({{"kernel", "flash"}, {"varlen", "uniform:1:9"}, {"seqlen", "128"}}),
                    Contains("--varlen: --seqlen does not apply"));
  CHECK_THROWS_WITH(expand({{"kernel", "flash"}, {"varlen", "uniform:1:9"}, {"seqlen-kv", "128"}}),
                    Contains("--seqlen-kv does not apply"));
  CHECK_THROWS_WITH(expand({{"kernel", "flash"}, {"varlen", "uniform:1:9"}, {"tokens", "4096"}}),
                    Contains("--tokens does not apply"));
  CHECK_THROWS_WITH(expand({{"kernel", "flash"}, {"varlen", "uniform:1:9"}, {"layout", "bhnd"}}),
                    Contains("--layout bhnd"));
  CHECK_THROWS_WITH(expand({{"kernel", "flash"}, {"varlen", "fixed-list:1,17"}, {"batch", "3"}}),
                    Contains("--batch 3 disagrees with --varlen fixed-list:1,17 (2 sequences"));
  CHECK_NOTHROW(expand({{"kernel", "flash"}, {"varlen", "fixed-list:1,17"}, {"batch", "2"}}));
  CHECK_NOTHROW(expand({{"kernel", "flash"}, {"varlen", "uniform:1:9"}, {"layout", "bnhd"}}));
  CHECK_THROWS_AS(spec_with({{"varlen", "uniform:0:9"}}), fa::UsageError);
  CHECK_THROWS_WITH(spec_with({{"varlen", "fixed-list:1,x"}}), Contains("--varlen: 'x'"));
}

TEST_CASE("varlen: keys and labels name the batch only when there is one", "[sweep][varlen]") {
  const fa::Point u = varlen_point("uniform:1024:8192", 16);
  CHECK_THAT(fa::point_key(u), Contains("|Vuniform:1024:8192@24301|"));  // 0x5eed: the drawn lengths' seed
  CHECK_THAT(fa::point_label(u), Contains("/B16-H4-Vu1024:8192-D64-fp16"));
  CHECK_THAT(fa::point_label(u), !Contains("bnhd"));
  const fa::Point f = varlen_point("fixed-list:1,17,1000,4097", 4);
  CHECK_THAT(fa::point_key(f), Contains("|Vfixed-list:1,17,1000,4097|"));
  CHECK_THAT(fa::point_label(f), Contains("-Vf1,17,1000,4097-"));
  fa::Point plain;
  plain.kernel = "flash";
  CHECK(fa::point_key(plain) == "flash|fwd|B1|H1|Nq512|Nk512|D64|fp16|p0|full|s0.125|bhnd|dense");
  CHECK(fa::point_label(plain) == "flash/fwd/B1-H1-N512-D64-fp16");
}

TEST_CASE("varlen: CSV and JSON round trips, the columns only in files with varlen rows", "[reports][varlen]") {
  fa::Row a, b;
  a.point = varlen_point("uniform:100:200", 5);
  b.point.kernel = "flash";
  const std::string plain = fa::csv_text({b});
  CHECK_THAT(plain, !Contains("varlen"));
  const std::string csv = fa::csv_text({a, b});
  CHECK_THAT(csv, Contains("seqlen_kv,varlen,varlen_tokens,varlen_min,varlen_median,varlen_max,head_dim"));
  const fa::VarlenSummary s = fa::summarize_lengths(a.point.problem.seqlens);
  CHECK_THAT(csv, Contains("uniform:100:200," + std::to_string(s.tokens) + "," + std::to_string(s.min)));
  const std::vector<fa::Row> back = fa::parse_csv(csv, "test.csv");
  REQUIRE(back.size() == 2);
  CHECK(back[0].point == a.point);
  CHECK(back[1].point == b.point);
  // A fixed-list whose count is not the row's batch is another point: refused, naming the column.
  fa::Row c;
  c.point = varlen_point("fixed-list:3,4", 2);
  std::string text = fa::csv_text({c});
  text.replace(text.find("flash,fwd,2,"), 12, "flash,fwd,3,");
  CHECK_THROWS_WITH(fa::parse_csv(text, "bad.csv"), Contains("column 'varlen'") && Contains("batch is 3"));

  const nlohmann::json j = fa::row_to_json(a);
  CHECK(j["point"]["problem"]["seqlens"] == nlohmann::json(a.point.problem.seqlens));
  CHECK(fa::row_from_json(j).point == a.point);
  CHECK(fa::row_to_json(b)["point"]["problem"].count("varlen") == 0);
  nlohmann::json edited = j;
  edited["point"]["problem"]["seqlens"][0] = 1;
  CHECK_THROWS_WITH(fa::row_from_json(edited), Contains("seqlens"));
}

TEST_CASE("varlen: Markdown tables get a Varlen column with the summary", "[reports][varlen]") {
  fa::Row a;
  a.point = varlen_point("fixed-list:1,17,1000,4097", 4);
  const std::string md = fa::markdown_report(fa::RunMetadata{}, {a}, fa::MarkdownOptions{});
  CHECK_THAT(md, Contains("| B | H | Varlen | Nq | Nk |"));
  CHECK_THAT(md, Contains("| 4 | 4 | fixed-list:1,17,1000,4097: 4 seqs, 5115 tokens, 1/17/4097 (min/median/max) | 4097 | 4097 |"));
  fa::Row b;
  b.point.kernel = "flash";
  CHECK_THAT(fa::markdown_report(fa::RunMetadata{}, {b}, fa::MarkdownOptions{}), !Contains("Varlen"));
}
