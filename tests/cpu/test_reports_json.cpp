// JSON: exact round trip of rows (samples included) and metadata, the results-file envelope, and
// UsageErrors for other schemas, versions and malformed files.
#include <functional>
#include <limits>

#include "core/errors.hpp"
#include "reports/csv.hpp"
#include "reports/json.hpp"
#include "test_reports_fixture.hpp"

using namespace fa;
using namespace fa::test;
using nlohmann::json;

namespace {

std::string usage_error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no UsageError";
}

}  // namespace

TEST_CASE("JSON round trip of a results file returns every field exactly", "[reports][json]") {
  const std::vector<Row> rows = fixture_rows();
  RunMetadata meta = fixture_metadata();
  meta.extra["future_field"] = "kept";
  // Through text, as a file would be.
  const ResultFile back = results_from_json(json::parse(results_json_text(meta, rows)), "test");
  CHECK(back.metadata == meta);
  check_same_rows(back.rows, rows, /*with_samples=*/true);
}

TEST_CASE("JSON rows written before dropout_used read back with it empty", "[reports][json]") {
  const std::vector<Row> rows = fixture_rows();
  json j = json::parse(results_json_text(fixture_metadata(), rows));
  for (json& r : j.at("rows")) {
    REQUIRE(r.contains("dropout_used"));
    r.erase("dropout_used");
  }
  const ResultFile back = results_from_json(j, "old.json");
  REQUIRE(back.rows.size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK_FALSE(back.rows[i].dropout_used.has_value());
    CHECK(point_key(back.rows[i].point) == point_key(rows[i].point));
  }
  CHECK(row_to_json(rows[6]).at("dropout_used") == 26.0 / 256);  // the applied value, exactly
  CHECK(row_to_json(rows[9]).at("dropout_used").is_null());      // unknown: null
}

TEST_CASE("JSON row has optionals as null and the derived point_key", "[reports][json]") {
  const std::vector<Row> rows = fixture_rows();
  const json j = row_to_json(rows[1]);
  CHECK(j.at("hbm_read_bytes").is_null());
  CHECK(j.at("mem_scratch_peak_bytes").get<double>() == 131072);
  CHECK(j.at("point_key").get<std::string>() == point_key(rows[1].point));
  CHECK(j.at("samples_ms").size() == 3);
  CHECK(j.at("point").at("problem").at("dtype") == "fp16");
  // ADL hooks agree with the named functions.
  CHECK(json(rows[1]) == j);
  check_same_row(j.get<Row>(), rows[1], true);
}

TEST_CASE("JSON non-finite values survive as strings", "[reports][json]") {
  Row r = make_row("flash", Pass::fwd, 1, 1, 64, 64, 64, DType::fp16);
  r.time.median_ms = std::numeric_limits<double>::quiet_NaN();
  r.time.max_ms = std::numeric_limits<double>::infinity();
  r.samples_ms = {1.0, -std::numeric_limits<double>::infinity()};
  r.io_model_bytes = std::numeric_limits<double>::quiet_NaN();
  const json j = json::parse(row_to_json(r).dump());
  CHECK(j.at("time").at("median_ms") == "nan");
  check_same_row(row_from_json(j), r, true);
}

TEST_CASE("metadata reads missing fields as empty and keeps unknown keys", "[reports][json]") {
  const RunMetadata m = metadata_from_json(json{{"device", "H100"}, {"gpu_clock_mhz", 1980}});
  CHECK(m.device == "H100");
  CHECK(m.git_commit.empty());
  CHECK(m.extra.at("gpu_clock_mhz") == "1980");
  CHECK_THAT(usage_error_of([] { metadata_from_json(json{{"device", 3}}); }), Catch::Contains("metadata.device"));
}

TEST_CASE("read_results_json rejects other schemas, versions and malformed files", "[reports][json]") {
  ScratchDir dir;
  std::filesystem::create_directories(dir.path);
  const auto path = dir.path / "results.json";
  const std::string p = path.string();
  auto error_for = [&](const std::string& text) {
    spit(path, text);
    return usage_error_of([&] { read_results_json(p); });
  };
  json good = results_to_json(fixture_metadata(), fixture_rows());
  spit(path, good.dump());
  CHECK(read_results_json(p).rows.size() == fixture_rows().size());

  json other = good;
  other["schema"] = "fa-bench/compare";
  CHECK_THAT(error_for(other.dump()), Catch::Contains(p) && Catch::Contains("fa-bench/compare") &&
                                          Catch::Contains("fa-bench/results"));

  json newer = good;
  newer["schema_version"] = 2;
  CHECK_THAT(error_for(newer.dump()), Catch::Contains("schema_version 2") && Catch::Contains("version 1"));

  json no_schema = good;
  no_schema.erase("schema");
  CHECK_THAT(error_for(no_schema.dump()), Catch::Contains("not a fa-bench results file"));

  CHECK_THAT(error_for(good.dump().substr(0, 200)), Catch::Contains("malformed JSON"));
  CHECK_THAT(error_for("[1, 2]"), Catch::Contains("not a fa-bench results file"));

  json rows_not_array = good;
  rows_not_array["rows"] = json::object();
  CHECK_THAT(error_for(rows_not_array.dump()), Catch::Contains("\"rows\""));

  json bad_dtype = good;
  bad_dtype["rows"][2]["point"]["problem"]["dtype"] = "fp12";
  CHECK_THAT(error_for(bad_dtype.dump()), Catch::Contains("rows[2].point.problem.dtype") && Catch::Contains("fp12"));

  json bad_time = good;
  bad_time["rows"][0]["time"]["median_ms"] = "fast";
  CHECK_THAT(error_for(bad_time.dump()), Catch::Contains("rows[0].time.median_ms"));

  json no_kernel = good;
  no_kernel["rows"][1]["point"].erase("kernel");
  CHECK_THAT(error_for(no_kernel.dump()), Catch::Contains("rows[1].point.kernel"));

  CHECK_THAT(usage_error_of([&] { read_results_json((dir.path / "missing.json").string()); }),
             Catch::Contains("cannot open"));
}

TEST_CASE("read_results picks the format by extension", "[reports][json]") {
  ScratchDir dir;
  std::filesystem::create_directories(dir.path);
  const std::vector<Row> rows = fixture_rows();
  spit(dir.path / "r.json", results_json_text(fixture_metadata(), rows));
  spit(dir.path / "r.CSV", csv_text(rows));
  spit(dir.path / "r.txt", csv_text(rows));

  const ResultFile from_json = read_results((dir.path / "r.json").string());
  CHECK(from_json.metadata == fixture_metadata());
  check_same_rows(from_json.rows, rows, true);

  const ResultFile from_csv = read_results((dir.path / "r.CSV").string());
  CHECK(from_csv.metadata == RunMetadata{});
  check_same_rows(from_csv.rows, rows, false);

  CHECK_THAT(usage_error_of([&] { read_results((dir.path / "r.txt").string()); }), Catch::Contains(".json, .csv"));
}
