// Golden files: the exact CSV, Markdown and JSON text written for the fixture rows. A change to
// any writer shows up here as a diff to review. To accept an intended change, regenerate with
//   FA_UPDATE_GOLDEN=1 build/tests/fa_bench_tests "[golden]"
// and review `git diff tests/golden/` before committing.
#include <cstdlib>
#include <filesystem>

#include "reports/csv.hpp"
#include "reports/json.hpp"
#include "reports/markdown.hpp"
#include "test_reports_fixture.hpp"

namespace {

using namespace fa;
using namespace fa::test;

const std::filesystem::path kGoldenDir = std::filesystem::path(FA_TEST_DATA_DIR) / "golden";

// Compares line by line so a failure names the first differing line instead of dumping both files.
void check_golden(const std::string& name, const std::string& actual) {
  const std::filesystem::path path = kGoldenDir / name;
  if (const char* update = std::getenv("FA_UPDATE_GOLDEN"); update && *update && std::string(update) != "0") {
    spit(path, actual);
    WARN("regenerated " << path.string());
    return;
  }
  REQUIRE(std::filesystem::exists(path));
  const std::string expected = slurp(path);
  std::istringstream a(actual), e(expected);
  std::string la, le;
  int line = 0;
  while (true) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_e = static_cast<bool>(std::getline(e, le));
    ++line;
    if (!more_a && !more_e) break;
    INFO(name << " line " << line << " (regenerate with FA_UPDATE_GOLDEN=1 if the change is intended)");
    REQUIRE(more_a == more_e);
    REQUIRE(la == le);
  }
  CHECK(actual == expected);  // also catches a difference in the final line break
}

}  // namespace

TEST_CASE("CSV text of the fixture matches the golden file", "[reports][golden]") {
  check_golden("reports.csv", csv_text(fixture_rows()));
}

TEST_CASE("Markdown report of the fixture matches the golden file", "[reports][golden]") {
  check_golden("reports.md", markdown_report(fixture_metadata(), fixture_rows(), MarkdownOptions{}));
}

TEST_CASE("JSON results file of the fixture matches the golden file", "[reports][golden]") {
  check_golden("reports.json", results_json_text(fixture_metadata(), fixture_rows()));
}
