// Markdown report behaviour beyond the golden file: speedup arithmetic, which baseline columns
// appear, status cells, the failed-check section.
#include "reports/markdown.hpp"
#include "test_reports_fixture.hpp"

using namespace fa;
using namespace fa::test;

namespace {

Row timed(const std::string& kernel, std::int64_t n, double median_ms) {
  Row r = make_row(kernel, Pass::fwd, 1, 4, n, n, 64, DType::fp16);
  set_time(r, median_ms, 10);
  return r;
}

// The table line of a shape, e.g. "| 1 | 4 | 1024 | 1024 |" ... up to the end of that line.
std::string line_of(const std::string& md, std::int64_t n) {
  const std::string start = "| 1 | 4 | " + std::to_string(n) + " | " + std::to_string(n) + " |";
  const auto at = md.find(start);
  if (at == std::string::npos) return "";
  return md.substr(at, md.find('\n', at) - at);
}

std::string header_line(const std::string& md) {
  const auto at = md.find("| B | H | Nq | Nk |");
  return at == std::string::npos ? "" : md.substr(at, md.find('\n', at) - at);
}

}  // namespace

TEST_CASE("markdown speedup is baseline median over kernel median", "[reports][markdown]") {
  const std::string md = markdown_report({}, {timed("standard", 1024, 3.0), timed("flash", 1024, 1.2)});
  CHECK_THAT(header_line(md), Catch::Contains("| flash vs standard |"));
  // 3.0 / 1.2 = 2.5: flash is faster.
  CHECK(line_of(md, 1024) == "| 1 | 4 | 1024 | 1024 | 3.000 | 10.0 | 1.200 | 10.0 | 2.50x |");
}

TEST_CASE("markdown baseline columns appear only for baselines with rows", "[reports][markdown]") {
  SECTION("no standard rows: no 'vs standard', but 'vs cudnn'") {
    const std::string md = markdown_report({}, {timed("cudnn", 512, 1.0), timed("flash", 512, 0.8)});
    CHECK_THAT(header_line(md), !Catch::Contains("vs standard") && Catch::Contains("| flash vs cudnn |"));
    CHECK_THAT(line_of(md, 512), Catch::EndsWith("| 1.25x |"));
  }
  SECTION("both baselines: no reciprocal 'standard vs cudnn'") {
    const std::string md =
        markdown_report({}, {timed("standard", 512, 2.0), timed("cudnn", 512, 1.0), timed("flash", 512, 0.5)});
    const std::string h = header_line(md);
    CHECK_THAT(h, Catch::Contains("| cudnn vs standard | flash vs standard | flash vs cudnn |"));
    CHECK_THAT(h, !Catch::Contains("standard vs cudnn"));
    CHECK_THAT(line_of(md, 512), Catch::EndsWith("| 2.00x | 4.00x | 2.00x |"));
  }
  SECTION("the baseline list is a parameter") {
    MarkdownOptions opt;
    opt.baselines = {"flash"};
    const std::string md = markdown_report({}, {timed("standard", 512, 2.0), timed("flash", 512, 0.5)}, opt);
    CHECK_THAT(header_line(md), Catch::StartsWith("| B | H | Nq | Nk | flash ms") &&
                                    Catch::EndsWith("| standard vs flash |"));
    CHECK_THAT(line_of(md, 512), Catch::EndsWith("| 0.25x |"));
  }
}

TEST_CASE("markdown speedup is blank when either row is missing or not ok", "[reports][markdown]") {
  Row std_oom = timed("standard", 8192, 0);
  std_oom.status = Status::oom;
  std_oom.reason = "out of memory";
  const std::string md =
      markdown_report({}, {timed("standard", 1024, 3.0), timed("flash", 1024, 1.5), std_oom, timed("flash", 8192, 9),
                           timed("flash", 2048, 2)});
  CHECK_THAT(line_of(md, 1024), Catch::EndsWith("| 2.00x |"));
  CHECK(line_of(md, 8192) == "| 1 | 4 | 8192 | 8192 | oom |  | 9.000 | 10.0 |  |");
  CHECK(line_of(md, 2048) == "| 1 | 4 | 2048 | 2048 |  |  | 2.000 | 10.0 |  |");
  // Lines sorted by shape, not by arrival.
  CHECK(md.find("| 1024 | 1024 |") < md.find("| 2048 | 2048 |"));
  CHECK(md.find("| 2048 | 2048 |") < md.find("| 8192 | 8192 |"));
}

TEST_CASE("markdown non-ok cells show the status and a shortened reason", "[reports][markdown]") {
  Row unsup = timed("cudnn", 512, 0);
  unsup.status = Status::unsupported;
  unsup.reason = "head_dim 256 is above the 128 this cuDNN build supports, try --head-dim 128";
  MarkdownOptions opt;
  opt.max_reason_chars = 20;
  const std::string md = markdown_report({}, {timed("flash", 512, 1.0), unsup}, opt);
  CHECK_THAT(line_of(md, 512), Catch::Contains("| unsupported: head_dim 256 is... |"));
  // The full reason is listed below the tables.
  CHECK_THAT(md, Catch::Contains("## Rows not measured") && Catch::Contains(unsup.reason));
}

TEST_CASE("markdown lists failed checks and one table per problem family", "[reports][markdown]") {
  const std::vector<Row> rows = fixture_rows();
  const std::string md = markdown_report(fixture_metadata(), rows);
  CHECK(failed_check(rows[7]));
  CHECK_FALSE(failed_check(rows[0]));
  const auto failed_at = md.find("## Failed correctness checks");
  REQUIRE(failed_at != std::string::npos);
  CHECK(md.find(point_label(rows[7].point), failed_at) != std::string::npos);
  CHECK(md.find(point_label(rows[6].point), failed_at) == std::string::npos);  // it passed
  CHECK_THAT(md, Catch::Contains("| 2.000 (!) |"));

  std::size_t tables = 0;
  for (auto at = md.find("\n### "); at != std::string::npos; at = md.find("\n### ", at + 1)) ++tables;
  CHECK(tables == 3);
  CHECK_THAT(md, Catch::Contains("4 * B * H * Nq * Nk * D"));  // FLOP legend

  const std::string clean = markdown_report({}, {timed("flash", 512, 1.0)});
  CHECK_THAT(clean, !Catch::Contains("Failed correctness checks") && !Catch::Contains("Rows not measured"));
}

TEST_CASE("markdown states the dropout each kernel applied under dropout headings", "[reports][markdown]") {
  const std::vector<Row> rows = fixture_rows();
  const std::string md = markdown_report(fixture_metadata(), rows);
  // Family 2 asks for 0.1; standard and flash applied the mask's 26/256.
  CHECK_THAT(md, Catch::Contains("dropout 0.1, bnhd, dense\n\nDropout applied: 0.1015625 (standard, flash).\n\n| B |"));
  CHECK(md.find("Dropout applied: 0 ") == std::string::npos);  // nothing said for dropout-free families
  std::vector<Row> mixed = rows;
  Row cudnn = rows[6];
  cudnn.point.kernel = "cudnn";
  cudnn.dropout_used = 0.1;
  mixed.push_back(cudnn);
  CHECK_THAT(markdown_report({}, mixed), Catch::Contains("Dropout applied: 0.1 (cudnn); 0.1015625 (standard, flash)."));
  for (Row& r : mixed) r.dropout_used.reset();  // a file from before the field: no line
  CHECK_THAT(markdown_report({}, mixed), !Catch::Contains("Dropout applied:"));
}

TEST_CASE("failed_check uses the note or the error above tolerance", "[reports][markdown]") {
  Row r = timed("flash", 512, 1.0);
  CHECK_FALSE(failed_check(r));
  r.max_rel_error = 0.02;
  r.tolerance = 0.01;
  CHECK(failed_check(r));
  r.max_rel_error = 0.005;
  CHECK_FALSE(failed_check(r));
  r.check_note = "FAIL: 1234 unwritten elements";
  CHECK(failed_check(r));
}
