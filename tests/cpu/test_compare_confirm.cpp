// Confirm before failing (reports/compare_confirm.hpp), driven by a fake measurement: which points
// are re-measured, in which order, how often, and when a regression stands or passes.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "reports/compare.hpp"
#include "reports/compare_confirm.hpp"
#include "reports/compare_json.hpp"
#include "reports/compare_markdown.hpp"
#include "test_compare_fixture.hpp"

using namespace fa;
using namespace fa::test::cmp;

namespace {

// A fake measurement: each point of a round gets its next row from a script (the last one repeats);
// the order of the points measured is recorded.
struct FakeMeasure {
  std::map<std::string, std::vector<Row>> script;  // kernel name -> rows to return
  std::map<std::string, std::size_t> served;
  std::vector<std::string> calls;

  RemeasureRound fn() {
    return [this](const std::vector<Point>& points, std::size_t) {
      std::vector<Row> rows;
      for (const Point& pt : points) {
        const std::string name = pt.kernel + "/" + std::to_string(pt.problem.seqlen_q);
        calls.push_back(name);
        const std::vector<Row>& script_rows = script.at(name);
        std::size_t& i = served[name];
        rows.push_back(script_rows[std::min(i++, script_rows.size() - 1)]);
      }
      return rows;
    };
  }
};

const PointComparison& point(const CompareOutcome& o, const std::string& kernel, std::int64_t seqlen) {
  for (const PointComparison& p : o.points) {
    if (p.baseline.point.kernel == kernel && p.baseline.point.problem.seqlen_q == seqlen) return p;
  }
  throw std::logic_error("no compared point " + kernel);
}

CompareOutcome first_look(const std::vector<Row>& base, const std::vector<Row>& cur) {
  return compare_results(result_file(base), result_file(cur), {}, "base.json", "cur.json");
}

}  // namespace

TEST_CASE("a between-run shift that the re-measurements do not show passes", "[compare]") {
  const auto base = baseline_rows();
  auto cur = base;
  find_row(cur, "flash", 4096) = tight_row("flash", 4096, 6.6);  // +10% in the first run
  CompareOutcome o = first_look(base, cur);
  REQUIRE(o.exit_code() == 1);
  REQUIRE(point(o, "flash", 4096).retest);

  FakeMeasure fake;
  fake.script["flash/4096"] = {tight_row("flash", 4096, 6.03), tight_row("flash", 4096, 5.98), tight_row("flash", 4096, 6.01)};
  const auto rounds = confirm_regressions(o, fake.fn(), 3);
  CHECK(rounds.size() == 3);
  CHECK(fake.calls.size() == 3);  // only the regressed point
  CHECK(o.exit_code() == 0);
  CHECK(o.confirm_rounds == 3);
  const PointComparison& p = point(o, "flash", 4096);
  CHECK(p.findings.empty());
  REQUIRE(p.dismissed.size() == 1);
  CHECK(p.dismissed[0].metric == Metric::time);
  REQUIRE(p.confirmation);
  CHECK_FALSE(p.confirmation->reproduced);
  CHECK(p.confirmation->remeasured == 3);
  REQUIRE(p.confirmation->time_changes.size() == 3);
  CHECK(p.confirmation->time_changes[0] == Approx(0.005));
  CHECK(p.confirmation->why.find("not reproduced") != std::string::npos);
  CHECK_FALSE(p.retest);  // the pooled samples are let go

  const std::string md = compare_markdown(o);
  CHECK(md.rfind("## fa-bench compare: PASS", 0) == 0);
  CHECK(md.find("### Re-measured before the verdict (1)") != std::string::npos);
  CHECK(md.find("re-measured 3 times") != std::string::npos);
  CHECK(md.find("not re-measured") == std::string::npos);
  const auto j = compare_json(o);
  CHECK(j.at("evidence").at("one_run_only") == false);
  CHECK(j.at("counts").at("dismissed") == 1);
  for (const auto& jp : j.at("points")) {
    if (jp.at("label") == "flash/fwd/B1-H8-N4096-D64-fp16") {
      CHECK(jp.at("confirmation").at("reproduced") == false);
      CHECK(jp.at("dismissed").size() == 1);
    }
  }
}

TEST_CASE("a regression that shows again in the re-measurements fails, with the reason", "[compare]") {
  const auto base = baseline_rows();
  auto cur = base;
  find_row(cur, "flash", 4096) = tight_row("flash", 4096, 6.3);     // +5%
  find_row(cur, "standard", 1024) = tight_row("standard", 1024, 0.56);  // +12%
  CompareOutcome o = first_look(base, cur);
  REQUIRE(o.regressed_points() == 2);
  FakeMeasure fake;
  // One of three re-measurements falls back: the median still shows the 5%.
  fake.script["flash/4096"] = {tight_row("flash", 4096, 6.31), tight_row("flash", 4096, 6.0), tight_row("flash", 4096, 6.29)};
  fake.script["standard/1024"] = {tight_row("standard", 1024, 0.561)};
  confirm_regressions(o, fake.fn(), 3);
  CHECK(o.exit_code() == 1);
  CHECK(o.regressed_points() == 2);
  const PointComparison& p = point(o, "flash", 4096);
  REQUIRE(p.confirmation);
  CHECK(p.confirmation->reproduced);
  CHECK(p.confirmation->why.find("regression confirmed") != std::string::npos);
  CHECK(p.confirmation->p_value.value() < 0.01);
  CHECK(compare_markdown(o).find("**fails**") != std::string::npos);
  // Rounds in changing orders: the sweep has flash before standard; round 1 is reversed.
  REQUIRE(fake.calls.size() == 6);
  CHECK(fake.calls[0] == "standard/1024");
  CHECK(fake.calls[1] == "flash/4096");
  CHECK(fake.calls[2] == "flash/4096");
  CHECK(fake.calls[3] == "standard/1024");
}

TEST_CASE("only time and byte regressions are re-measured (status, correctness and memory fail as they are)",
          "[compare]") {
  const auto base = baseline_rows();
  auto cur = base;
  Row& slower_and_bigger = find_row(cur, "flash", 4096);
  slower_and_bigger = tight_row("flash", 4096, 6.6);
  *slower_and_bigger.mem_scratch_peak_bytes += 1024;
  Row& broken = find_row(cur, "standard", 4096);
  broken.status = Status::error;
  broken.time = TimeStats{};
  broken.samples_ms.clear();
  CompareOutcome o = first_look(base, cur);
  FakeMeasure fake;
  confirm_regressions(o, fake.fn(), 3);
  CHECK(fake.calls.empty());
  CHECK(o.regressed_points() == 2);
  CHECK_FALSE(point(o, "flash", 4096).confirmation);
  CHECK(compare_markdown(o).find("### Re-measured: none") != std::string::npos);
}

TEST_CASE("HBM bytes regressions are re-measured too", "[compare]") {
  const auto base = baseline_rows();
  auto cur = base;
  *find_row(cur, "standard", 1024).hbm_read_bytes += 0.12 * 4e8;  // +12%
  CompareOutcome o = first_look(base, cur);
  REQUIRE(o.regressed_points() == 1);
  FakeMeasure fake;
  Row same = find_row(cur, "standard", 1024);
  same.hbm_read_bytes = 3e8;  // back to the baseline's 4e8 in all
  fake.script["standard/1024"] = {same};
  CompareOutcome passes = o;
  confirm_regressions(passes, fake.fn(), 2);
  CHECK(passes.exit_code() == 0);
  CHECK(point(passes, "standard", 1024).confirmation->bytes_changes.size() == 2);
  CHECK(point(passes, "standard", 1024).confirmation->why.find("HBM bytes") != std::string::npos);

  FakeMeasure again;
  again.script["standard/1024"] = {find_row(cur, "standard", 1024)};
  confirm_regressions(o, again.fn(), 2);
  CHECK(o.exit_code() == 1);
}

TEST_CASE("no re-measurement (0 rounds) or a failing one leaves the regression standing", "[compare]") {
  const auto base = baseline_rows();
  auto cur = base;
  find_row(cur, "flash", 4096) = tight_row("flash", 4096, 6.6);
  CompareOutcome o = first_look(base, cur);
  FakeMeasure fake;
  CompareOutcome none = o;
  CHECK(confirm_regressions(none, fake.fn(), 0).empty());
  CHECK(none.confirm_rounds == 0);
  CHECK(none.exit_code() == 1);

  Row failed = find_row(cur, "flash", 4096);
  failed.status = Status::error;
  failed.reason = "cudaErrorLaunchFailure";
  failed.time = TimeStats{};
  failed.samples_ms.clear();
  fake.script["flash/4096"] = {failed};
  confirm_regressions(o, fake.fn(), 2);
  CHECK(o.exit_code() == 1);
  const PointComparison& p = point(o, "flash", 4096);
  CHECK(p.confirmation->remeasured == 0);
  CHECK(p.confirmation->why.find("cudaErrorLaunchFailure") != std::string::npos);
  CHECK(p.confirmation->why.find("stands") != std::string::npos);
}

TEST_CASE("re-measurements go on the first measurement's clock-normalized scale", "[compare]") {
  auto base = baseline_rows();
  auto cur = base;
  Row& b = find_row(base, "flash", 4096);
  b.samples_clock_mhz.assign(b.samples_ms.size(), 1980.0);
  Row& c = find_row(cur, "flash", 4096);
  c = tight_row("flash", 4096, 6.6);  // 10% slower at the same clock: a regression
  c.samples_clock_mhz.assign(c.samples_ms.size(), 1980.0);
  CompareOutcome o = first_look(base, cur);
  REQUIRE(o.exit_code() == 1);
  // Re-measured 10% slower in milliseconds but at a 10% lower clock: the same cycles, no regression.
  Row slow_clock = tight_row("flash", 4096, 6.6);
  slow_clock.samples_clock_mhz.assign(slow_clock.samples_ms.size(), 1800.0);
  FakeMeasure fake;
  fake.script["flash/4096"] = {slow_clock};
  confirm_regressions(o, fake.fn(), 3);
  CHECK(o.exit_code() == 0);
  CHECK(point(o, "flash", 4096).confirmation->time_changes[0] == Approx(6.6 * 1800 / 1980 / 6.0 - 1));

  // Re-measured at the baseline's milliseconds but a 10% higher clock: 10% slower normalized, unchanged
  // raw. The regression does not stand: a change must show on both scales, in re-measurements too.
  CompareOutcome o2 = first_look(base, cur);
  REQUIRE(o2.exit_code() == 1);
  Row fast_clock = tight_row("flash", 4096, 6.0);
  fast_clock.samples_clock_mhz.assign(fast_clock.samples_ms.size(), 1980.0 * 1.1);
  FakeMeasure fake2;
  fake2.script["flash/4096"] = {fast_clock};
  confirm_regressions(o2, fake2.fn(), 3);
  CHECK(o2.exit_code() == 0);
  CHECK(point(o2, "flash", 4096).confirmation->time_changes[0] == Approx(0.1));
  CHECK(point(o2, "flash", 4096).confirmation->why.find("raw change") != std::string::npos);

  // A re-measurement without per-sample clocks is judged raw against the raw baseline (6.0 ms here,
  // its samples at 1980 MHz: the normalized baseline would be the same number only by that chance),
  // so 6.6 ms without clocks is +10% and the regression stands.
  b.samples_clock_mhz.assign(b.samples_ms.size(), 1800.0);  // baseline normalized to 1800: 6.0 ms raw still
  CompareOutcome o3 = first_look(base, cur);
  Row no_clock = tight_row("flash", 4096, 6.6);
  no_clock.samples_clock_mhz.clear();
  FakeMeasure fake3;
  fake3.script["flash/4096"] = {no_clock};
  confirm_regressions(o3, fake3.fn(), 3);
  const auto& c3 = point(o3, "flash", 4096).confirmation;
  REQUIRE(c3);
  CHECK(c3->time_changes[0] == Approx(0.1));
  CHECK(c3->why.find("without per-sample clocks was compared raw") != std::string::npos);
}
