// The Markdown report's memory-bound section: rows nearer the bandwidth roof than the GEMM roof,
// with achieved HBM GB/s against the copy ceiling and measured over model bytes; absent otherwise.
#include "reports/markdown.hpp"
#include "test_reports_fixture.hpp"

using namespace fa;
using namespace fa::test;

namespace {

Row decode_row(double pct_bandwidth, double pct_flops) {
  Row r = make_row("flash", Pass::fwd, 8, 32, 1, 32768, 128, DType::bf16);
  r.point.problem.kv_heads = 8;
  set_time(r, 0.0875, 0.2);
  r.hbm_read_bytes = 2.7e8;
  r.hbm_write_bytes = 1.0e6;
  r.io_model_bytes = 2.7e8;
  r.achieved_hbm_gbps = 3097.0;
  r.pct_peak_bandwidth = pct_bandwidth;
  r.pct_peak_flops = pct_flops;
  return r;
}

}  // namespace

TEST_CASE("markdown lists memory-bound rows with their bandwidth against the copy ceiling", "[reports][markdown]") {
  const std::vector<Row> rows = {decode_row(81.5, 0.1)};
  const std::string md = markdown_report(fixture_metadata(), rows, MarkdownOptions{});
  CHECK_THAT(md, Catch::Contains("## Memory-bound rows"));
  CHECK_THAT(md, Catch::Contains("| flash/fwd/B8-H32-KV8-N1x32768-D128-bf16 | 0.0875 | 3097 | 81.5 | 1.00 |"));
}

TEST_CASE("markdown leaves compute-bound and unmeasured rows out of the bandwidth section", "[reports][markdown]") {
  Row unmeasured = decode_row(81.5, 0.1);
  unmeasured.achieved_hbm_gbps.reset();
  unmeasured.pct_peak_bandwidth.reset();
  const std::vector<Row> rows = {decode_row(20.0, 60.0), unmeasured};
  CHECK_THAT(markdown_report(fixture_metadata(), rows, MarkdownOptions{}),
             !Catch::Contains("## Memory-bound rows"));
}
