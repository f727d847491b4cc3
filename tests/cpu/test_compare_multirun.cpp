// Baselines of several runs: each point's line comes from its runs' spread (reports/compare_noise.hpp),
// a one-run baseline falls back to the duration floor, and a comparison of files says that its
// evidence is one current run.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "core/errors.hpp"
#include "reports/baseline_store.hpp"
#include "reports/compare.hpp"
#include "reports/compare_json.hpp"
#include "reports/compare_markdown.hpp"
#include "test_compare_fixture.hpp"

using namespace fa;
using namespace fa::test::cmp;

namespace {

// One point, flash at N = 512, with +-1% samples around `median_ms`.
ResultFile one_point(double median_ms) { return result_file({tight_row("flash", 512, median_ms)}); }

std::vector<ResultFile> runs_at(const std::vector<double>& medians) {
  std::vector<ResultFile> runs;
  for (double m : medians) runs.push_back(one_point(m));
  return runs;
}

const PointComparison& only_point(const CompareOutcome& o) {
  REQUIRE(o.points.size() == 1);
  return o.points[0];
}

bool time_regressed(const CompareOutcome& o) {
  for (const Finding& f : only_point(o).findings) {
    if (f.metric == Metric::time && f.direction == Direction::regression) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a 15 us point: a one-run baseline tolerates a 10% shift, five agreeing runs catch 10% but not 2%",
          "[compare]") {
  const std::vector<ResultFile> one = runs_at({0.015});
  // A one-run baseline has only the floor to go by (14% at 15 us).
  CompareOutcome o = compare_results(one, one_point(0.0165), {});
  CHECK_FALSE(time_regressed(o));
  CHECK(only_point(o).time->significant);  // the samples do differ
  CHECK(only_point(o).time->regression_line == Approx(run_noise_floor(0.015)).epsilon(1e-9));
  CHECK(only_point(o).time_within_noise(o.options));

  const std::vector<ResultFile> five = runs_at({0.015, 0.01505, 0.01497, 0.01502, 0.015});
  o = compare_results(five, one_point(0.0165), {});
  CHECK(time_regressed(o));
  CHECK(o.baseline_runs == 5);
  CHECK(only_point(o).time->allowance.runs == 5);
  CHECK(only_point(o).time->regression_line < 0.07);
  CHECK_FALSE(time_regressed(compare_results(five, one_point(0.0153), {})));  // +2%
  // Runs that disagree by +-10% widen the line past a 15% shift.
  const std::vector<ResultFile> noisy = runs_at({0.0135, 0.0165, 0.015, 0.01365, 0.01635});
  CHECK_FALSE(time_regressed(compare_results(noisy, one_point(0.01725), {})));
}

TEST_CASE("ms-scale points: 5% slower is caught against one run or several", "[compare]") {
  CHECK(time_regressed(compare_results(runs_at({2.0}), one_point(2.1), {})));
  CHECK(time_regressed(compare_results(runs_at({2.0, 2.004, 1.998}), one_point(2.1), {})));
  CHECK(time_regressed(compare_results(runs_at({0.5}), one_point(0.525), {})));
  // The baseline's reference is the geometric mean of its runs' medians.
  const CompareOutcome o = compare_results(runs_at({2.0, 2.02, 1.98}), one_point(2.0), {});
  CHECK(only_point(o).time->baseline_ms == Approx(std::cbrt(2.0 * 2.02 * 1.98)));
  CHECK(only_point(o).time->baseline_samples == 60);  // the runs' samples pooled for Mann-Whitney
}

TEST_CASE("a point missing from some baseline runs is judged on the runs that hold it", "[compare]") {
  std::vector<ResultFile> runs = runs_at({1.0, 1.0, 1.0});
  runs[1].rows.push_back(tight_row("flash", 4096, 6.0));
  runs[2].rows.push_back(tight_row("flash", 4096, 6.0));
  ResultFile current = one_point(1.0);
  current.rows.push_back(tight_row("flash", 4096, 6.0));
  const CompareOutcome o = compare_results(runs, current, {});
  REQUIRE(o.points.size() == 2);
  CHECK(o.points[0].time->allowance.runs == 3);
  CHECK(o.points[1].time->allowance.runs == 2);
  CHECK(o.exit_code() == 0);
}

TEST_CASE("baseline runs must share one device, and there must be one", "[compare]") {
  std::vector<ResultFile> runs = runs_at({1.0, 1.0});
  runs[1].metadata.device = "NVIDIA H200";
  CHECK_THROWS_WITH(compare_results(runs, one_point(1.0), {}, "base"),
                    Catch::Contains("base") && Catch::Contains("different devices"));
  CHECK_THROWS_WITH(compare_results(std::vector<ResultFile>{}, one_point(1.0), {}, "base"),
                    Catch::Contains("no baseline run"));
  // Runs of different commits are compared, with a note that their spread is partly code.
  runs = runs_at({1.0, 1.0});
  runs[1].metadata.git_commit = "feedface";
  const std::string md = compare_markdown(compare_results(runs, one_point(1.0), {}));
  CHECK(md.find("2 different commits") != std::string::npos);
}

TEST_CASE("compare says when its evidence is one run only", "[compare]") {
  const CompareOutcome one = compare_results(runs_at({1.0}), one_point(1.0), {});
  const std::string md = compare_markdown(one);
  CHECK(md.find("**one current run, not re-measured**") != std::string::npos);
  CHECK(md.find("Baseline: **1 run**") != std::string::npos);
  const auto j = compare_json(one);
  CHECK(j.at("evidence").at("one_run_only") == true);
  CHECK(j.at("evidence").at("baseline_runs") == 1);
  CHECK(j.at("evidence").at("confirm_rounds") == 0);

  const CompareOutcome three = compare_results(runs_at({1.0, 1.0, 1.0}), one_point(1.0), {});
  CHECK(compare_markdown(three).find("Baseline: 3 runs.") != std::string::npos);
  CHECK(compare_json(three).at("baseline").at("runs") == 3);
}

TEST_CASE("compare files: several BASELINE files, or a stored baseline of several runs", "[compare]") {
  Scratch dir;
  const std::string b1 = dir.json("b1.json", {tight_row("flash", 512, 0.05)});
  const std::string b2 = dir.json("b2.json", {tight_row("flash", 512, 0.0501)});
  const std::string cur = dir.json("cur.json", {tight_row("flash", 512, 0.05)});
  CompareOutcome o = compare_files(std::vector<std::string>{b1, b2}, cur, {});
  CHECK(o.baseline_runs == 2);
  CHECK(o.baseline_source == b1 + ", " + b2);

  const auto store = dir.path / "store";
  baselines::save(store, "main", "", b1);
  const auto saved = baselines::save(store, "main", "", b2);
  o = compare_files(saved.path.string(), cur, {});
  CHECK(o.baseline_runs == 2);

  // The command line: the last file is CURRENT.
  auto r = fa::testing::run_fa_bench({"compare", b1, b2, cur});
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(r.out.find("Baseline: 2 runs.") != std::string::npos);
  r = fa::testing::run_fa_bench({"compare", "--stored", "main", "--baseline-dir", store.string(), cur});
  CHECK(r.code == 0);
  CHECK(r.out.find("Baseline: 2 runs.") != std::string::npos);
  r = fa::testing::run_fa_bench({"compare", b1, cur, "--raw-time", "--clock-normalize"});
  CHECK(r.code == 2);
  CHECK(r.err.find("--raw-time") != std::string::npos);
  r = fa::testing::run_fa_bench({"compare", b1, cur, "--device-peak-tolerance", "-1"});
  CHECK(r.code == 2);
  CHECK(r.err.find("--device-peak-tolerance") != std::string::npos);
}
