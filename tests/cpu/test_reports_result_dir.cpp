// ResultDirectory (fa-bench run --out DIR): files kept current row by row, resume after an
// interruption, error rows retried, and refusing to overwrite an earlier run without --resume.
#include <algorithm>

#include "core/errors.hpp"
#include "reports/csv.hpp"
#include "reports/json.hpp"
#include "reports/result_dir.hpp"
#include "test_reports_fixture.hpp"

using namespace fa;
using namespace fa::test;

namespace {

std::size_t count_lines_equal(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  std::size_t n = 0;
  for (std::string l; std::getline(in, l);) n += (l == line);
  return n;
}

std::vector<std::string> kernels_of(const std::vector<Row>& rows) {
  std::vector<std::string> k;
  for (const Row& r : rows) k.push_back(point_key(r.point));
  return k;
}

}  // namespace

TEST_CASE("ResultDirectory writes all three files after every row", "[reports][resultdir]") {
  ScratchDir scratch;
  const auto dir = scratch.path / "nested" / "out";  // parents are created too
  const std::vector<Row> rows = fixture_rows();

  ResultDirectory out = ResultDirectory::open(dir, fixture_metadata(), /*resume=*/false);
  CHECK(out.resumed_rows() == 0);
  // Before any row: a header-only CSV and empty, valid JSON.
  CHECK(slurp(out.csv_path()) == csv_header() + "\n");
  CHECK(read_results_json(out.json_path().string()).rows.empty());

  out.add(rows[0]);
  out.add(rows[3]);
  // Visible on disk right away, without closing anything.
  CHECK(read_csv(out.csv_path().string()).size() == 2);
  const ResultFile json_now = read_results_json(out.json_path().string());
  CHECK(json_now.metadata == fixture_metadata());
  check_same_rows(json_now.rows, {rows[0], rows[3]}, true);
  CHECK_THAT(slurp(out.markdown_path()), Catch::Contains("| oom |"));
  CHECK(out.has(rows[0].point));
  CHECK(out.has(rows[3].point));  // oom is a result: not retried
  CHECK_FALSE(out.has(rows[1].point));
  // No temporary files left behind.
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    CHECK_THAT(entry.path().filename().string(), Catch::StartsWith("results.") && !Catch::EndsWith(".tmp"));
  }
}

TEST_CASE("ResultDirectory resumes an interrupted run", "[reports][resultdir]") {
  ScratchDir scratch;
  const auto dir = scratch.path;
  const std::vector<Row> rows = fixture_rows();
  const Row& done_ok = rows[0];
  const Row& done_oom = rows[3];
  const Row& failed = rows[9];  // status error: must be retried
  const Row& csv_only = rows[4];
  const Row& fresh = rows[6];
  REQUIRE(failed.status == Status::error);

  {
    ResultDirectory first = ResultDirectory::open(dir, fixture_metadata(), false);
    first.add(done_ok);
    first.add(done_oom);
    first.add(failed);
  }  // the object is destroyed as by an interrupted run
  // Interrupted after the CSV line of one more row was written but before results.json was
  // replaced, and then in the middle of writing the next CSV line.
  spit(dir / "results.csv", csv_row(csv_only) + "\n", /*append=*/true);
  spit(dir / "results.csv", "flash,fwd,1,8,512,", /*append=*/true);

  RunMetadata second_meta = fixture_metadata();
  second_meta.date_utc = "2025-01-03T00:00:00Z";
  {
    ResultDirectory second = ResultDirectory::open(dir, second_meta, /*resume=*/true);
    CHECK(second.resumed_rows() == 4);
    CHECK(second.has(done_ok.point));
    CHECK(second.has(done_oom.point));
    CHECK(second.has(csv_only.point));
    CHECK_FALSE(second.has(failed.point));
    CHECK_FALSE(second.has(fresh.point));
    CHECK(second.metadata().resumed_from == "2025-01-02T03:04:05Z");
    CHECK(second.metadata().date_utc == "2025-01-03T00:00:00Z");

    Row retried = failed;
    retried.status = Status::ok;
    retried.reason.clear();
    set_time(retried, 0.9, 37.6);
    second.add(retried);
    second.add(fresh);
    CHECK(second.has(failed.point));
  }

  Row retried = failed;
  retried.status = Status::ok;
  retried.reason.clear();
  set_time(retried, 0.9, 37.6);
  const std::vector<Row> expected = {done_ok, done_oom, retried, csv_only, fresh};

  const std::string csv_text_now = slurp(dir / "results.csv");
  CHECK(count_lines_equal(csv_text_now, csv_header()) == 1);
  const std::vector<Row> from_csv = read_csv((dir / "results.csv").string());
  check_same_rows(from_csv, expected, false);

  const ResultFile from_json = read_results_json((dir / "results.json").string());
  CHECK(kernels_of(from_json.rows) == kernels_of(expected));
  check_same_row(from_json.rows[0], done_ok, true);  // samples survive the resume (from JSON)
  check_same_row(from_json.rows[2], retried, true);
  CHECK(from_json.rows[3].samples_ms.empty());      // this one only ever reached the CSV
  CHECK(from_json.metadata.resumed_from == "2025-01-02T03:04:05Z");

  const std::string md = slurp(dir / "results.md");
  CHECK_THAT(md, Catch::Contains("resumed_from: 2025-01-02T03:04:05Z"));
  CHECK_THAT(md, !Catch::Contains("cudaErrorIllegalAddress"));  // the retried error is gone
  CHECK_THAT(md, Catch::Contains("- rows: 5 (4 ok, 1 oom)"));

  // A second resume chains the earlier dates and finds everything done.
  RunMetadata third_meta = fixture_metadata();
  third_meta.date_utc = "2025-01-04T00:00:00Z";
  ResultDirectory third = ResultDirectory::open(dir, third_meta, true);
  CHECK(third.resumed_rows() == 5);
  for (const Row& r : expected) CHECK(third.has(r.point));
  CHECK(third.metadata().resumed_from == "2025-01-02T03:04:05Z, 2025-01-03T00:00:00Z");
}

TEST_CASE("ResultDirectory resumes from results.csv alone", "[reports][resultdir]") {
  ScratchDir scratch;
  std::filesystem::create_directories(scratch.path);
  const std::vector<Row> rows = fixture_rows();
  spit(scratch.path / "results.csv", csv_text({rows[0], rows[1]}));
  ResultDirectory out = ResultDirectory::open(scratch.path, fixture_metadata(), true);
  CHECK(out.resumed_rows() == 2);
  CHECK(out.has(rows[1].point));
  CHECK(read_results_json(out.json_path().string()).rows.size() == 2);
}

TEST_CASE("ResultDirectory refuses to overwrite earlier results without resume", "[reports][resultdir]") {
  ScratchDir scratch;
  const std::vector<Row> rows = fixture_rows();
  {
    ResultDirectory first = ResultDirectory::open(scratch.path, fixture_metadata(), false);
    first.add(rows[0]);
  }
  const std::string csv_before = slurp(scratch.path / "results.csv");
  const std::string json_before = slurp(scratch.path / "results.json");

  try {
    ResultDirectory::open(scratch.path, fixture_metadata(), false);
    FAIL("expected a UsageError");
  } catch (const UsageError& e) {
    CHECK_THAT(e.what(), Catch::Contains("--resume") && Catch::Contains("--out") &&
                             Catch::Contains(scratch.path.string()) && Catch::Contains("results.json"));
  }
  // Nothing was touched.
  CHECK(slurp(scratch.path / "results.csv") == csv_before);
  CHECK(slurp(scratch.path / "results.json") == json_before);

  // Only results files count: a directory holding other files is fine.
  ScratchDir other;
  std::filesystem::create_directories(other.path);
  spit(other.path / "sweep.yaml", "seqlen: [512]\n");
  CHECK_NOTHROW(ResultDirectory::open(other.path, fixture_metadata(), false));

  // --out naming a file.
  spit(other.path / "plain_file", "x");
  CHECK_THROWS_AS(ResultDirectory::open(other.path / "plain_file", fixture_metadata(), false), UsageError);
}

TEST_CASE("ResultDirectory resume with an unreadable results.json is a UsageError", "[reports][resultdir]") {
  ScratchDir scratch;
  std::filesystem::create_directories(scratch.path);
  spit(scratch.path / "results.json", "{\"schema\": \"something-else\", \"rows\": []}");
  CHECK_THROWS_AS(ResultDirectory::open(scratch.path, fixture_metadata(), true), UsageError);
  // Not overwritten: the user can still inspect it.
  CHECK_THAT(slurp(scratch.path / "results.json"), Catch::Contains("something-else"));
}
