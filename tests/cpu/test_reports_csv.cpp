// CSV: RFC 4180 quoting, exact round trip of every field, reading by column name, and the errors
// a hand-edited or foreign file must produce.
#include <limits>

#include "core/errors.hpp"
#include "reports/csv.hpp"
#include "reports/csv_records.hpp"
#include "test_reports_fixture.hpp"

using namespace fa;
using namespace fa::test;

TEST_CASE("csv_field quotes only fields that need it", "[reports][csv]") {
  CHECK(csv_field("flash") == "flash");
  CHECK(csv_field("") == "");
  CHECK(csv_field("a,b") == "\"a,b\"");
  CHECK(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(csv_field("two\nlines") == "\"two\nlines\"");
  CHECK(csv_field("cr\r") == "\"cr\r\"");
}

TEST_CASE("split_csv reads quoted commas, doubled quotes, line breaks and CRLF", "[reports][csv]") {
  const CsvRecords r = split_csv("a,b,c\r\n\"x,1\",\"he said \"\"no\"\"\",\"multi\nline\"\r\n\n1,,3\n");
  REQUIRE(r.records.size() == 3);
  CHECK(r.ends_cleanly);
  CHECK(r.records[0] == std::vector<std::string>{"a", "b", "c"});
  CHECK(r.records[1] == std::vector<std::string>{"x,1", "he said \"no\"", "multi\nline"});
  CHECK(r.records[2] == std::vector<std::string>{"1", "", "3"});
  CHECK(r.first_lines == std::vector<std::size_t>{1, 2, 5});

  const CsvRecords cut = split_csv("a,b\n1,\"unterminated");
  CHECK_FALSE(cut.ends_cleanly);
  REQUIRE(cut.records.size() == 2);
  CHECK(split_csv("a,b\n1,2").ends_cleanly == false);  // no final line break: maybe cut short

  CHECK_THROWS_AS(split_csv("a,b\n\"x\"y,2\n"), std::invalid_argument);
}

TEST_CASE("CSV header has every axis in its own column and point_key last", "[reports][csv]") {
  const std::vector<std::string_view> cols = csv_columns();
  // The axes, with the drop probability actually applied next to the one asked for.
  const std::vector<std::string_view> axes = {"kernel",  "pass",         "batch",  "heads",  "kv_heads", "seqlen_q", "seqlen_kv",
                                              "head_dim", "dtype",        "dropout", "dropout_used", "causal",
                                              "scale",   "layout",       "sparsity", "density", "block_q", "block_k"};
  REQUIRE(cols.size() > axes.size());
  for (std::size_t i = 0; i < axes.size(); ++i) CHECK(cols[i] == axes[i]);
  CHECK(cols.back() == "point_key");
  for (std::string_view needed : {"status", "reason", "median_ms", "ci_high_ms", "samples", "tflops",
                                  "mem_scratch_peak_bytes", "hbm_read_bytes", "io_model_bytes",
                                  "hbm_measured_over_model", "max_rel_error", "sm_clock_end_mhz"}) {
    CHECK(std::find(cols.begin(), cols.end(), needed) != cols.end());
  }
  // One line per row: the header and each row have as many fields as there are columns.
  CHECK(split_csv(csv_header()).records.at(0).size() == cols.size());
  for (const Row& r : fixture_rows()) CHECK(split_csv(csv_row(r)).records.at(0).size() == cols.size());
}

TEST_CASE("CSV round trip returns every field exactly (samples_ms excepted)", "[reports][csv]") {
  const std::vector<Row> rows = fixture_rows();
  ScratchDir dir;
  std::filesystem::create_directories(dir.path);
  const auto path = dir.path / "rows.csv";
  spit(path, csv_text(rows));
  const std::vector<Row> back = read_csv(path.string());
  check_same_rows(back, rows, /*with_samples=*/false);
  for (const Row& r : back) CHECK(r.samples_ms.empty());
}

TEST_CASE("CSV empty optionals are empty cells, filled ones numbers", "[reports][csv]") {
  const std::vector<Row> rows = fixture_rows();
  const auto cols = csv_columns();
  auto field = [&](const Row& r, std::string_view name) {
    const auto fields = split_csv(csv_row(r)).records.at(0);
    return fields.at(static_cast<std::size_t>(std::find(cols.begin(), cols.end(), name) - cols.begin()));
  };
  CHECK(field(rows[0], "hbm_read_bytes") == "4.5e+07");
  CHECK(field(rows[1], "hbm_read_bytes").empty());
  CHECK(field(rows[1], "mem_scratch_peak_bytes") == "131072");
  // (45e6 + 21000000.5) / 50331648, derived only when all three are known.
  CHECK(std::stod(field(rows[0], "hbm_measured_over_model")) == Approx(66000000.5 / 50331648.0));
  CHECK(field(rows[1], "hbm_measured_over_model").empty());
  // An oom row has no time: empty, not 0 (pandas reads NaN, so means are not dragged down).
  CHECK(field(rows[3], "median_ms").empty());
  CHECK(field(rows[3], "status") == "oom");
  CHECK(field(rows[0], "scale") == "0.125");
  CHECK(field(rows[0], "causal") == "false");
  CHECK(field(rows[0], "point_key") == point_key(rows[0].point));
}

TEST_CASE("CSV keeps the default softmax scale as default and an explicit one as given", "[reports][csv]") {
  Row r = make_row("flash", Pass::fwd, 1, 2, 128, 128, 80, DType::fp32);  // 1/sqrt(80) is not a short decimal
  Row explicit_scale = r;
  explicit_scale.point.problem.softmax_scale = 0.3;
  Row odd = r;
  odd.time.median_ms = 0.1 + 0.2;  // needs 17 digits
  odd.flops = 1e300;
  odd.tolerance = std::numeric_limits<double>::denorm_min();
  const std::vector<Row> back = parse_csv(csv_text({r, explicit_scale, odd}), "test");
  check_same_rows(back, {r, explicit_scale, odd}, false);
  CHECK(back[0].point.problem.softmax_scale == 0.0);
  CHECK(point_key(back[1].point) == point_key(explicit_scale.point));
}

TEST_CASE("CSV non-finite values round trip", "[reports][csv]") {
  Row r = make_row("flash", Pass::fwd, 1, 1, 64, 64, 64, DType::fp16);
  r.time.median_ms = std::numeric_limits<double>::quiet_NaN();
  r.time.max_ms = std::numeric_limits<double>::infinity();
  r.max_rel_error = -std::numeric_limits<double>::infinity();
  const std::vector<Row> back = parse_csv(csv_text({r}), "test");
  check_same_rows(back, {r}, false);
}

TEST_CASE("read_csv reads columns by name, ignores unknown ones", "[reports][csv]") {
  const Row r = fixture_rows()[0];
  // Columns reversed plus an extra one a spreadsheet added.
  auto header = split_csv(csv_header()).records.at(0);
  auto values = split_csv(csv_row(r)).records.at(0);
  std::reverse(header.begin(), header.end());
  std::reverse(values.begin(), values.end());
  header.push_back("my_comment");
  values.push_back("looks fast, check");
  std::string text;
  for (std::size_t i = 0; i < header.size(); ++i) text += (i ? "," : "") + csv_field(header[i]);
  text += "\n";
  for (std::size_t i = 0; i < values.size(); ++i) text += (i ? "," : "") + csv_field(values[i]);
  text += "\n";
  const std::vector<Row> back = parse_csv(text, "reordered.csv");
  REQUIRE(back.size() == 1);
  check_same_row(back[0], r, false);
}

TEST_CASE("CSV files written before dropout_used read back with it empty and the same point keys", "[reports][csv]") {
  const std::vector<Row> rows = fixture_rows();
  // The fixture written, then its dropout_used column removed: a file from an older version.
  auto recs = split_csv(csv_text(rows)).records;
  const auto& header = recs.at(0);
  const auto col = static_cast<std::size_t>(std::find(header.begin(), header.end(), "dropout_used") - header.begin());
  REQUIRE(col < header.size());
  std::string text;
  for (auto& fields : recs) {
    fields.erase(fields.begin() + static_cast<std::ptrdiff_t>(col));
    for (std::size_t i = 0; i < fields.size(); ++i) text += (i ? "," : "") + csv_field(fields[i]);
    text += "\n";
  }
  const std::vector<Row> old = parse_csv(text, "old.csv");
  REQUIRE(old.size() == rows.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    CHECK_FALSE(old[i].dropout_used.has_value());
    CHECK(point_key(old[i].point) == point_key(rows[i].point));  // compare matches them as before
    Row expect = rows[i];
    expect.dropout_used.reset();
    check_same_row(old[i], expect, false);
  }
}

TEST_CASE("read_csv rejects foreign and malformed files with the file, line and column", "[reports][csv]") {
  const std::string good = csv_text({fixture_rows()[0]});
  auto message = [](const std::string& text) {
    try {
      parse_csv(text, "bad.csv");
    } catch (const UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };

  CHECK_THAT(message(""), Catch::Contains("bad.csv") && Catch::Contains("empty"));
  CHECK_THAT(message("a,b\n1,2\n"), Catch::Contains("no 'kernel' column"));

  std::string wrong_dtype = good;
  wrong_dtype.replace(wrong_dtype.find(",fp16,"), 6, ",fp12,");
  CHECK_THAT(message(wrong_dtype), Catch::Contains("bad.csv:2") && Catch::Contains("'dtype'") && Catch::Contains("fp12"));

  std::string wrong_batch = good;
  wrong_batch.replace(wrong_batch.find("\nstandard,fwd,2,"), 16, "\nstandard,fwd,2x,");
  CHECK_THAT(message(wrong_batch), Catch::Contains("'batch'") && Catch::Contains("integer"));

  CHECK_THAT(message(good + "flash,fwd\n"), Catch::Contains("bad.csv:3") && Catch::Contains("fields"));
  CHECK_THAT(message(csv_header() + "\n\"x\"y\n"), Catch::Contains("closing quote"));
  CHECK_THROWS_AS(read_csv("/nonexistent/fa-bench/results.csv"), UsageError);
}

TEST_CASE("parse_csv can drop a last line cut short by an interruption", "[reports][csv]") {
  const std::vector<Row> rows = fixture_rows();
  const std::string whole = csv_text({rows[0], rows[1]});
  const std::size_t second_row = whole.find('\n', whole.find('\n') + 1) + 1;
  const std::string cut = whole.substr(0, second_row + 40);  // the last row stops after 40 characters
  CHECK_THROWS_AS(parse_csv(cut, "cut.csv"), UsageError);
  const std::vector<Row> kept = parse_csv(cut, "cut.csv", /*drop_cut_tail=*/true);
  REQUIRE(kept.size() == 1);
  check_same_row(kept[0], rows[0], false);
}
