// compare_results / compare_files: which differences fail the gate and which do not, each rule
// tested on both sides of its threshold.
#include <catch2/catch.hpp>

#include <cmath>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "reports/compare.hpp"
#include "reports/compare_json.hpp"
#include "reports/compare_markdown.hpp"
#include "test_compare_fixture.hpp"

using namespace fa;
using namespace fa::test::cmp;

namespace {

CompareOutcome compare(const std::vector<Row>& baseline, const std::vector<Row>& current, CompareOptions options = {}) {
  return compare_results(result_file(baseline), result_file(current), options, "base.json", "cur.json");
}

const PointComparison& point(const CompareOutcome& o, const std::string& kernel, std::int64_t seqlen) {
  for (const PointComparison& p : o.points) {
    if (p.baseline.point.kernel == kernel && p.baseline.point.problem.seqlen_q == seqlen) return p;
  }
  throw std::logic_error("no compared point " + kernel);
}

bool has_finding(const PointComparison& p, Metric m, Direction d) {
  for (const Finding& f : p.findings) {
    if (f.metric == m && f.direction == d) return true;
  }
  return false;
}

std::string section(const std::string& md, const std::string& heading) {
  const auto start = md.find(heading);
  if (start == std::string::npos) return {};
  const auto end = md.find("\n### ", start + 1);
  return md.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

}  // namespace

TEST_CASE("identical results pass with every point unchanged", "[compare]") {
  const auto rows = baseline_rows();
  const CompareOutcome o = compare(rows, rows);
  CHECK(o.points.size() == rows.size());
  CHECK(o.unchanged_points() == rows.size());
  CHECK(o.exit_code() == 0);
  REQUIRE(o.points[0].time);
  CHECK(o.points[0].time->method == Significance::mann_whitney_exact);  // 20 + 20 samples
  CHECK(o.points[0].time->p_value.value() == Approx(1.0));
  const std::string md = compare_markdown(o);
  CHECK(md.rfind("## fa-bench compare: PASS", 0) == 0);
  CHECK(md.find("### Regressions: none") != std::string::npos);
  CHECK(md.find("### Unchanged: 6 points") != std::string::npos);
}

TEST_CASE("a point 10% slower with tight samples regresses and is named", "[compare]") {
  const auto base = baseline_rows();
  auto cur = base;
  find_row(cur, "flash", 4096) = tight_row("flash", 4096, 6.6);
  const CompareOutcome o = compare(base, cur);
  CHECK(o.exit_code() == 1);
  CHECK(o.regressed_points() == 1);
  const PointComparison& p = point(o, "flash", 4096);
  REQUIRE(p.time);
  CHECK(p.time->change == Approx(0.1));
  CHECK(p.time->significant);
  CHECK(p.time->p_value.value() < 1e-10);  // 2 / C(40, 20)
  CHECK(has_finding(p, Metric::time, Direction::regression));

  const std::string md = compare_markdown(o);
  CHECK(md.rfind("## fa-bench compare: FAIL, 1 regressed point", 0) == 0);
  const std::string regressions = section(md, "### Regressions");
  CHECK(regressions.find("flash/fwd/B1-H8-N4096-D64-fp16") != std::string::npos);
  CHECK(regressions.find("+10.0%") != std::string::npos);
  CHECK(regressions.find("Mann-Whitney") != std::string::npos);
  // Regressions come before improvements, unchanged and unmatched.
  CHECK(md.find("### Regressions") < md.find("### Improvements"));
  CHECK(md.find("### Improvements") < md.find("### Unchanged"));
  CHECK(md.find("### Unchanged") < md.find("### Unmatched"));
}

TEST_CASE("a 10% slower point within huge noise does not regress", "[compare]") {
  auto base = baseline_rows();
  auto cur = base;
  find_row(base, "standard", 1024) = timed_row("standard", 1024, spread_samples(0.5, 0.5));
  find_row(cur, "standard", 1024) = timed_row("standard", 1024, spread_samples(0.55, 0.5));
  const CompareOutcome o = compare(base, cur);
  CHECK(o.exit_code() == 0);
  const PointComparison& p = point(o, "standard", 1024);
  REQUIRE(p.time);
  CHECK(p.time->change == Approx(0.1));
  CHECK_FALSE(p.time->significant);
  CHECK(p.time->p_value.value() > 0.1);
  CHECK(p.findings.empty());
  CHECK(p.time_within_noise(o.options));
  // Shown (folded) so a reviewer sees it, but not gated.
  CHECK(compare_markdown(o).find("within the noise") != std::string::npos);
}

TEST_CASE("time: improvements, the line (threshold or noise floor), and the normal approximation", "[compare]") {
  const auto base = baseline_rows();
  auto cur = base;
  find_row(cur, "flash", 1024) = tight_row("flash", 1024, 0.45);       // 10% faster
  find_row(cur, "standard", 4096) = tight_row("standard", 4096, 6.17);  // 2.8% slower: below the 3% threshold
  CompareOutcome o = compare(base, cur);
  CHECK(o.exit_code() == 0);
  CHECK(has_finding(point(o, "flash", 1024), Metric::time, Direction::improvement));
  const PointComparison& slower = point(o, "standard", 4096);
  CHECK(slower.findings.empty());
  CHECK(slower.time->significant);  // real, but smaller than the line
  CHECK(slower.time->regression_line == Approx(0.03));
  CHECK(section(compare_markdown(o), "### Improvements").find("flash/fwd/B1-H8-N1024") != std::string::npos);

  // A lower threshold leaves the line at the noise floor of a 6 ms point, sqrt(2.5%^2 + (0.002/6)^2),
  // which the 2.8% crosses.
  CompareOptions low;
  low.time_threshold_pct = 1;
  o = compare(base, cur, low);
  CHECK(o.exit_code() == 1);
  CHECK(point(o, "standard", 4096).time->regression_line == Approx(std::hypot(0.025, 0.002 / 6.0)).epsilon(1e-9));

  // 40 + 40 samples go through the normal approximation.
  auto big_base = base, big_cur = base;
  find_row(big_base, "flash", 1024) = timed_row("flash", 1024, spread_samples(0.5, 0.01, 40));
  find_row(big_cur, "flash", 1024) = timed_row("flash", 1024, spread_samples(0.55, 0.01, 40));
  o = compare(big_base, big_cur);
  const PointComparison& p = point(o, "flash", 1024);
  CHECK(p.time->method == Significance::mann_whitney_normal);
  CHECK(has_finding(p, Metric::time, Direction::regression));
}

TEST_CASE("without samples the confidence intervals decide", "[compare]") {
  auto base = baseline_rows();
  auto cur = base;
  find_row(cur, "flash", 4096) = tight_row("flash", 4096, 6.6);
  find_row(base, "standard", 1024) = timed_row("standard", 1024, spread_samples(0.5, 0.5));
  find_row(cur, "standard", 1024) = timed_row("standard", 1024, spread_samples(0.55, 0.5));
  for (auto* rows : {&base, &cur}) {
    for (Row& r : *rows) r.samples_ms.clear();  // as read from CSV
  }
  const CompareOutcome o = compare(base, cur);
  const PointComparison& slow = point(o, "flash", 4096);
  CHECK(slow.time->method == Significance::confidence_intervals);
  CHECK(slow.time->note.find("no samples") != std::string::npos);
  CHECK(has_finding(slow, Metric::time, Direction::regression));
  const PointComparison& noisy = point(o, "standard", 1024);
  CHECK(noisy.time->method == Significance::confidence_intervals);
  CHECK_FALSE(noisy.time->significant);  // intervals overlap
  CHECK(noisy.findings.empty());
  CHECK(o.regressed_points() == 1);

  // Neither samples nor intervals: the threshold alone.
  base = baseline_rows();
  cur = base;
  find_row(cur, "flash", 4096) = tight_row("flash", 4096, 6.6);
  for (auto* rows : {&base, &cur}) {
    for (Row& r : *rows) r.samples_ms.clear(), r.time.ci_low_ms = r.time.ci_high_ms = 0;
  }
  const CompareOutcome bare = compare(base, cur);
  CHECK(point(bare, "flash", 4096).time->method == Significance::threshold_only);
  CHECK(bare.exit_code() == 1);
}

TEST_CASE("too few samples for the test fall back to the intervals", "[compare]") {
  auto base = baseline_rows();
  auto cur = base;
  // 3 + 3 samples: the smallest possible p is 0.1, above alpha, so Mann-Whitney could never reject.
  find_row(base, "flash", 1024) = timed_row("flash", 1024, {0.499, 0.5, 0.501});
  find_row(cur, "flash", 1024) = timed_row("flash", 1024, {0.549, 0.55, 0.551});
  const CompareOutcome o = compare(base, cur);
  const PointComparison& p = point(o, "flash", 1024);
  CHECK(p.time->method == Significance::confidence_intervals);
  CHECK(p.time->note.find("cannot reach") != std::string::npos);
  CHECK(has_finding(p, Metric::time, Direction::regression));
}

TEST_CASE("HBM bytes are gated by their own threshold", "[compare]") {
  const auto base = baseline_rows();
  auto cur = base;
  Row& up12 = find_row(cur, "flash", 1024);
  up12.hbm_read_bytes = *up12.hbm_read_bytes + 0.12 * 4e8;  // read + write = 4e8: +12%
  Row& up8 = find_row(cur, "standard", 1024);
  up8.hbm_write_bytes = *up8.hbm_write_bytes + 0.08 * 4e8;  // +8%: within the default 10%
  const CompareOutcome o = compare(base, cur);
  CHECK(o.exit_code() == 1);
  const PointComparison& p12 = point(o, "flash", 1024);
  CHECK(has_finding(p12, Metric::hbm_bytes, Direction::regression));
  CHECK(p12.hbm_bytes->change == Approx(0.12));
  CHECK(point(o, "standard", 1024).findings.empty());
  CHECK(point(o, "standard", 1024).hbm_bytes->change == Approx(0.08));
  // A tighter threshold gates the 8% too.
  CompareOptions tight;
  tight.bytes_threshold_pct = 5;
  CHECK(has_finding(point(compare(base, cur, tight), "standard", 1024), Metric::hbm_bytes, Direction::regression));
  CHECK(section(compare_markdown(o), "### Regressions").find("hbm_bytes") != std::string::npos);

  // A side without counters: not compared, not failed.
  auto no_counters = cur;
  find_row(no_counters, "flash", 1024).hbm_write_bytes.reset();
  const CompareOutcome n = compare(base, no_counters);
  CHECK_FALSE(point(n, "flash", 1024).hbm_bytes);
  CHECK(n.exit_code() == 0);
}

TEST_CASE("memory: tracked bytes exactly, the device-wide peak within one allocation page", "[compare]") {
  const auto base = baseline_rows();
  auto cur = base;
  *find_row(cur, "flash", 1024).mem_scratch_peak_bytes += 256;          // tracked: +0.2% fails
  *find_row(cur, "flash", 4096).mem_io_bytes += 8;                      // tracked operands: fails
  *find_row(cur, "standard", 1024).mem_device_peak_bytes += 2097152;    // device: one 2 MiB page, within
  *find_row(cur, "standard", 4096).mem_device_peak_bytes += 2097152 + 4096;  // device: beyond the page
  *find_row(cur, "block_sparse", 1024).mem_scratch_peak_bytes *= 0.5;  // halved
  CompareOutcome o = compare(base, cur);
  CHECK(o.exit_code() == 1);
  CHECK(has_finding(point(o, "flash", 1024), Metric::scratch_peak, Direction::regression));
  CHECK(has_finding(point(o, "flash", 4096), Metric::io_bytes, Direction::regression));
  CHECK(point(o, "standard", 1024).findings.empty());
  CHECK(point(o, "standard", 1024).device_peak->change > 0);  // measured and shown, not gated
  CHECK(has_finding(point(o, "standard", 4096), Metric::device_peak, Direction::regression));
  CHECK(has_finding(point(o, "block_sparse", 1024), Metric::scratch_peak, Direction::improvement));
  CHECK(o.regressed_points() == 3);
  CHECK(o.improved_points() == 1);
  // Each memory finding names the other figure: tracked findings the device peak, and the reverse.
  for (const Finding& f : point(o, "flash", 1024).findings) CHECK(f.evidence.find("device-wide peak 6.00 MiB") != std::string::npos);
  for (const Finding& f : point(o, "standard", 4096).findings) {
    CHECK(f.evidence.find("tolerance 2.00 MiB") != std::string::npos);
    CHECK(f.evidence.find("scratch 128.00 KiB unchanged") != std::string::npos);
  }
  const auto j = compare_json(o);
  CHECK(j.at("options").at("device_peak_tolerance_bytes") == 2097152);

  // No tolerance: the page fails too. A lenient --mem-threshold lets tracked changes through.
  CompareOptions exact;
  exact.device_peak_tolerance_bytes = 0;
  CHECK(has_finding(point(compare(base, cur, exact), "standard", 1024), Metric::device_peak, Direction::regression));
  CompareOptions lenient;
  lenient.mem_threshold_pct = 10;
  o = compare(base, cur, lenient);
  CHECK(o.regressed_points() == 1);  // the device peak's +68% is beyond 10% too
  CHECK(has_finding(point(o, "standard", 4096), Metric::device_peak, Direction::regression));
}

TEST_CASE("status ok -> error always regresses, error -> ok improves", "[compare]") {
  auto base = baseline_rows();
  auto cur = base;
  Row& broken = find_row(cur, "flash", 4096);
  broken.status = Status::error;
  broken.reason = "cudaErrorIllegalAddress | in flash_fwd";
  broken.time = TimeStats{};
  broken.samples_ms.clear();
  Row& was_oom = find_row(base, "standard", 4096);
  was_oom.status = Status::oom;
  was_oom.time = TimeStats{};
  was_oom.samples_ms.clear();
  const CompareOutcome o = compare(base, cur);
  CHECK(o.exit_code() == 1);
  const PointComparison& p = point(o, "flash", 4096);
  CHECK(has_finding(p, Metric::status, Direction::regression));
  CHECK_FALSE(p.time);  // nothing to time on the error side
  CHECK(has_finding(point(o, "standard", 4096), Metric::status, Direction::improvement));
  const std::string regressions = section(compare_markdown(o), "### Regressions");
  CHECK(regressions.find("cudaErrorIllegalAddress \\| in flash_fwd") != std::string::npos);  // pipe escaped
}

TEST_CASE("an error grown past its tolerance always regresses", "[compare]") {
  auto base = baseline_rows();
  auto cur = base;
  Row& bad = find_row(cur, "block_sparse", 1024);
  bad.max_rel_error = 5e-3;  // tolerance 2e-3
  bad.check_note = "FAIL: o 5e-3 > 2e-3";
  // Time, bytes and memory identical: correctness alone fails it, whatever the thresholds.
  CompareOptions lenient;
  lenient.time_threshold_pct = lenient.bytes_threshold_pct = lenient.mem_threshold_pct = 1000;
  CompareOutcome o = compare(base, cur, lenient);
  CHECK(o.exit_code() == 1);
  CHECK(has_finding(point(o, "block_sparse", 1024), Metric::correctness, Direction::regression));

  // Failing in the baseline already: not a new regression.
  find_row(base, "block_sparse", 1024) = bad;
  o = compare(base, cur);
  CHECK(o.exit_code() == 0);
  // ... and fixed since: an improvement.
  o = compare(cur, baseline_rows());
  CHECK(has_finding(point(o, "block_sparse", 1024), Metric::correctness, Direction::improvement));
}

TEST_CASE("points in only one file are listed, and can fail the gate on request", "[compare]") {
  const auto base = baseline_rows();
  auto cur = base;
  cur.erase(cur.begin());  // flash 1024 gone
  Row extra = tight_row("flash", 8192, 20.0);
  cur.push_back(extra);
  CompareOutcome o = compare(base, cur);
  CHECK(o.exit_code() == 0);
  REQUIRE(o.only_in_baseline.size() == 1);
  REQUIRE(o.only_in_current.size() == 1);
  CHECK(o.only_in_baseline[0].label == "flash/fwd/B1-H8-N1024-D64-fp16");
  CHECK(o.only_in_current[0].label == "flash/fwd/B1-H8-N8192-D64-fp16");
  CHECK(o.points.size() == base.size() - 1);
  const std::string unmatched = section(compare_markdown(o), "### Unmatched");
  CHECK(unmatched.find("flash/fwd/B1-H8-N1024-D64-fp16") != std::string::npos);
  CHECK(unmatched.find("flash/fwd/B1-H8-N8192-D64-fp16") != std::string::npos);

  CompareOptions strict;
  strict.fail_on_missing = true;
  o = compare(base, cur, strict);
  CHECK(o.exit_code() == 1);
  CHECK(compare_markdown(o).find("1 baseline point missing") != std::string::npos);
}

TEST_CASE("points with the same label are told apart by their key", "[compare]") {
  auto base = baseline_rows();
  Row other_scale = find_row(base, "flash", 1024);
  other_scale.point.problem.softmax_scale = 0.2;  // not in the label
  base.push_back(other_scale);
  const CompareOutcome o = compare(base, base);
  CHECK(point(o, "flash", 1024).label == point_key(find_row(base, "flash", 1024).point));
  CHECK(point(o, "flash", 4096).label == "flash/fwd/B1-H8-N4096-D64-fp16");
}

TEST_CASE("bad inputs are usage errors naming the problem", "[compare]") {
  const auto rows = baseline_rows();
  // Different GPUs: refused, unless allowed.
  const ResultFile h100 = result_file(rows);
  ResultFile a100 = result_file(rows, "NVIDIA A100-SXM4-80GB");
  try {
    compare_results(h100, a100, {}, "base.json", "cur.json");
    FAIL("no error");
  } catch (const UsageError& e) {
    const std::string what = e.what();
    CHECK(what.find("NVIDIA A100-SXM4-80GB") != std::string::npos);
    CHECK(what.find("--allow-device-mismatch") != std::string::npos);
  }
  CompareOptions allow;
  allow.allow_device_mismatch = true;
  const CompareOutcome o = compare_results(h100, a100, allow, "base.json", "cur.json");
  CHECK(o.exit_code() == 0);
  REQUIRE_FALSE(o.notes.empty());
  CHECK(o.notes[0].find("devices differ") != std::string::npos);

  // Two CPU-only runs whose "no GPU" reasons differ are the same device.
  CHECK(device_model("cpu (no CUDA driver)") == device_model("cpu (cudaErrorNoDevice)"));
  CHECK_NOTHROW(compare_results(result_file(rows, "cpu (no CUDA driver)"), result_file(rows, "cpu (other)"), {}));

  // A point twice in one file.
  auto twice = rows;
  twice.push_back(rows[2]);
  CHECK_THROWS_WITH(compare_results(h100, result_file(twice), {}, "b", "cur.json"),
                    Catch::Contains("cur.json") && Catch::Contains("appears twice"));
  // Nothing in common: a gate that compares nothing must not pass.
  std::vector<Row> other{tight_row("flash", 333, 1.0)};
  CHECK_THROWS_WITH(compare_results(h100, result_file(other), {}), Catch::Contains("no point in common"));
  // Out-of-range options name their flag.
  CompareOptions bad;
  bad.alpha = 1.5;
  CHECK_THROWS_WITH(compare_results(h100, h100, bad), Catch::Contains("--alpha"));
  bad = {};
  bad.time_threshold_pct = -1;
  CHECK_THROWS_WITH(validate(bad), Catch::Contains("--threshold"));
}

TEST_CASE("compare_files reads JSON and CSV and names bad files", "[compare]") {
  Scratch dir;
  auto base = baseline_rows();
  auto cur = base;
  find_row(cur, "flash", 4096) = tight_row("flash", 4096, 6.6);
  const std::string b = dir.json("base.json", base), c = dir.json("cur.json", cur);
  CompareOutcome o = compare_files(b, c, {});
  CHECK(o.exit_code() == 1);
  CHECK(point(o, "flash", 4096).time->method == Significance::mann_whitney_exact);  // samples survive JSON

  // CSV: no samples, no metadata; the rows name the device.
  o = compare_files(dir.csv("base.csv", base), dir.csv("cur.csv", cur), {});
  CHECK(o.exit_code() == 1);
  CHECK(point(o, "flash", 4096).time->method == Significance::confidence_intervals);
  CHECK(o.baseline_device == kH100);
  // Mixed: JSON baseline, CSV current.
  CHECK(compare_files(b, dir.csv("cur2.csv", cur), {}).exit_code() == 1);

  const std::string missing = (dir.path / "missing.json").string();
  CHECK_THROWS_WITH(compare_files(missing, c, {}), Catch::Contains("BASELINE") && Catch::Contains("missing.json"));
  write_text(dir.path / "other.json", R"({"schema": "something/else", "schema_version": 1, "rows": []})");
  CHECK_THROWS_WITH(compare_files(b, (dir.path / "other.json").string(), {}),
                    Catch::Contains("CURRENT") && Catch::Contains("something/else"));
  write_text(dir.path / "broken.json", "{\"schema\": ");
  CHECK_THROWS_WITH(compare_files((dir.path / "broken.json").string(), c, {}), Catch::Contains("malformed"));
}

TEST_CASE("the JSON verdict holds every point with deltas, p-values and reasons", "[compare]") {
  auto base = baseline_rows();
  auto cur = base;
  find_row(cur, "flash", 4096) = tight_row("flash", 4096, 6.6);
  *find_row(cur, "standard", 1024).mem_scratch_peak_bytes += 1024;
  cur.pop_back();
  const auto j = compare_json(compare(base, cur));
  CHECK(j.at("schema") == "fa-bench/compare");
  CHECK(j.at("verdict") == "fail");
  CHECK(j.at("exit_code") == 1);
  CHECK(j.at("counts").at("compared") == 5);
  CHECK(j.at("counts").at("regressions") == 2);
  CHECK(j.at("counts").at("only_in_baseline") == 1);
  REQUIRE(j.at("points").size() == 5);
  bool saw_time = false;
  for (const auto& p : j.at("points")) {
    CHECK(p.at("time").at("p_value").is_number());
    if (p.at("label") == "flash/fwd/B1-H8-N4096-D64-fp16") {
      saw_time = true;
      CHECK(p.at("verdict") == "regression");
      CHECK(p.at("time").at("change_pct").get<double>() == Approx(10));
      CHECK(p.at("reasons").at(0).get<std::string>().rfind("time +10.0%", 0) == 0);
    }
  }
  CHECK(saw_time);
  CHECK(j.at("only_in_baseline").at(0).at("kernel") == "block_sparse");
}

TEST_CASE("byte changes below the absolute floor are counter noise, not regressions", "[compare]") {
  auto base = baseline_rows();
  for (Row& r : base) {  // a microsecond point: 400 KB of traffic
    if (r.hbm_read_bytes) r.hbm_read_bytes = 3e5;
    if (r.hbm_write_bytes) r.hbm_write_bytes = 1e5;
  }
  auto cur = base;
  find_row(cur, "flash", 1024).hbm_read_bytes = 3e5 + 2e5;  // +50%, but only 200 KB
  CHECK(compare(base, cur).exit_code() == 0);
  CompareOptions strict;
  strict.bytes_min_delta = 0;
  const CompareOutcome o = compare(base, cur, strict);
  CHECK(o.exit_code() == 1);
  CHECK(has_finding(point(o, "flash", 1024), Metric::hbm_bytes, Direction::regression));
}

TEST_CASE("times are clock-normalized by default, raw on request, the raw change shown beside", "[compare]") {
  // The current run of flash N=4096 is 10% slower in milliseconds, but every one of its samples ran
  // at a 10% lower SM clock: the same number of cycles.
  auto base = baseline_rows();
  auto cur = base;
  Row& b = find_row(base, "flash", 4096);
  Row& c = find_row(cur, "flash", 4096);
  c = tight_row("flash", 4096, 6.6);
  b.samples_clock_mhz.assign(b.samples_ms.size(), 1980.0);
  c.samples_clock_mhz.assign(c.samples_ms.size(), 1800.0);

  CompareOptions raw;
  raw.raw_time = true;
  const CompareOutcome plain = compare(base, cur, raw);
  CHECK(plain.exit_code() == 1);  // without normalization: a regression
  CHECK(point(plain, "flash", 4096).time->reference_clock_mhz == 0);

  const CompareOptions opt;  // the default
  const CompareOutcome normalized = compare(base, cur, opt);
  CHECK(normalized.exit_code() == 0);
  const PointComparison& p = point(normalized, "flash", 4096);
  REQUIRE(p.time);
  CHECK(p.time->baseline_ms == Approx(6.0));
  CHECK(p.time->current_ms == Approx(6.6 * 1800.0 / 1980.0));
  CHECK(p.time->note.find("clock-normalized to 1980 MHz") != std::string::npos);
  CHECK(p.time->raw_change == Approx(0.1));  // shown beside
  CHECK(p.time->change == Approx(1800.0 / 1980.0 * 1.1 - 1));
  // Points without clocks are compared as they are, and say so.
  const PointComparison& q = point(normalized, "standard", 1024);
  REQUIRE(q.time);
  CHECK(q.time->note.find("not clock-normalized") != std::string::npos);
  const auto j = compare_json(normalized);
  CHECK(j.at("options").at("clock_normalize") == true);
  for (const auto& jp : j.at("points")) {
    if (jp.at("label") == "flash/fwd/B1-H8-N4096-D64-fp16") {
      CHECK(jp.at("time").at("raw_change_pct").get<double>() == Approx(10));
      CHECK(jp.at("time").at("clock_normalized_to_mhz") == 1980.0);
    }
  }
  CHECK(compare_markdown(normalized).find("times of 1 of 6 points clock-normalized") != std::string::npos);
  CHECK(compare_markdown(plain).find("--raw-time") != std::string::npos);

  // A real slowdown at the same clock still regresses when normalized.
  c.samples_clock_mhz.assign(c.samples_ms.size(), 1980.0);
  CHECK(compare(base, cur, opt).exit_code() == 1);

  // The same milliseconds at a 10% higher clock (a memory-bound point on a machine whose clocks run
  // higher): 10% slower normalized, unchanged raw. Only a change both scales show is one.
  c = tight_row("flash", 4096, 6.0);
  c.samples_clock_mhz.assign(c.samples_ms.size(), 1980.0 * 1.1);
  const CompareOutcome clock_only = compare(base, cur, opt);
  CHECK(point(clock_only, "flash", 4096).time->change == Approx(0.1));
  CHECK(point(clock_only, "flash", 4096).time->raw_change == Approx(0.0).margin(1e-12));
  CHECK(clock_only.exit_code() == 0);
  CHECK_FALSE(has_finding(point(clock_only, "flash", 4096), Metric::time, Direction::regression));
  // And the same the other way: faster at a lower clock is no improvement.
  c.samples_clock_mhz.assign(c.samples_ms.size(), 1980.0 / 1.1);
  CHECK_FALSE(has_finding(point(compare(base, cur, opt), "flash", 4096), Metric::time, Direction::improvement));
}
