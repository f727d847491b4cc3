// The pull-request comment as a whole: one comparison with every kind of finding (time, bytes,
// memory, status, correctness, an improvement, a change within the noise, unmatched points)
// against tests/golden/compare_summary.md. An intended format change: regenerate with
//   FA_UPDATE_GOLDEN=1 build/tests/fa_bench_tests "[compare][golden]"
// and review `git diff tests/golden/`.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <sstream>

#include "reports/compare.hpp"
#include "reports/compare_markdown.hpp"
#include "test_compare_fixture.hpp"

using namespace fa;
using namespace fa::test::cmp;

namespace {

CompareOutcome golden_outcome() {
  auto base = baseline_rows();
  auto cur = base;
  find_row(cur, "flash", 4096) = tight_row("flash", 4096, 6.6);               // time +10%
  find_row(cur, "flash", 1024) = tight_row("flash", 1024, 0.45);              // time -10%
  *find_row(cur, "standard", 1024).hbm_read_bytes += 0.12 * 4e8;               // bytes +12%
  *find_row(cur, "standard", 4096).mem_scratch_peak_bytes += 4096;             // scratch +3.1%
  find_row(base, "block_sparse", 1024) = timed_row("block_sparse", 1024, spread_samples(0.5, 0.5));
  find_row(cur, "block_sparse", 1024) = timed_row("block_sparse", 1024, spread_samples(0.56, 0.5));  // noise
  Row& err = find_row(cur, "block_sparse", 4096);
  err.max_rel_error = 9e-3;
  err.check_note = "FAIL: o 9.0e-03 > 2.0e-03";
  Row oom = tight_row("standard", 16384, 90);
  Row oom_now = oom;
  oom_now.status = Status::oom;
  oom_now.reason = "cudaMalloc: out of memory (8.6 GB requested)";
  oom_now.time = TimeStats{};
  oom_now.samples_ms.clear();
  base.push_back(oom);
  cur.push_back(oom_now);
  base.push_back(tight_row("flash", 512, 0.1));     // only in the baseline
  cur.push_back(tight_row("flash", 16384, 80.0));   // only in the current run
  ResultFile b = result_file(base), c = result_file(cur);
  c.metadata.git_commit = "fedcba9876543210fedcba9876543210fedcba98";
  c.metadata.date_utc = "2025-01-03T00:00:00Z";
  return compare_results(b, c, {}, "baseline.json", "current.json");
}

}  // namespace

TEST_CASE("the compare Markdown of a fixed comparison matches the golden file", "[compare][golden]") {
  const std::string actual = compare_markdown(golden_outcome());
  const auto path = std::filesystem::path(FA_TEST_DATA_DIR) / "golden" / "compare_summary.md";
  if (const char* update = std::getenv("FA_UPDATE_GOLDEN"); update && *update && std::string(update) != "0") {
    write_text(path, actual);
    WARN("regenerated " << path.string());
    return;
  }
  REQUIRE(std::filesystem::exists(path));
  const std::string expected = slurp_file(path);
  std::istringstream a(actual), e(expected);
  std::string la, le;
  for (int line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_e = static_cast<bool>(std::getline(e, le));
    if (!more_a && !more_e) break;
    INFO("compare_summary.md line " << line << " (regenerate with FA_UPDATE_GOLDEN=1 if intended)");
    REQUIRE(more_a == more_e);
    REQUIRE(la == le);
  }
  CHECK(actual == expected);
}
