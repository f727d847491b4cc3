#pragma once
// The output directory of `fa-bench run --out DIR`: results.csv, results.json and results.md,
// kept up to date after every row so that an interrupted sweep loses at most the point in flight.
//
// results.csv is appended and flushed row by row; results.json and results.md are rewritten
// whole after each row through a temporary file and a rename, so they are never half-written.
// With resume, the rows of an earlier run in DIR are loaded (results.json, plus any row that
// reached results.csv but not results.json before the interruption), kept in all three files,
// and has() tells which points need not run again. Rows with status `error` count as not done:
// the point is retried and its new row replaces the old one in every file.
#include <filesystem>
#include <fstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "reports/markdown.hpp"
#include "reports/metadata.hpp"

namespace fa {

class ResultDirectory {
 public:
  // Creates DIR if needed. Without resume, DIR must not already hold results (UsageError naming
  // --resume / --out). With resume and no earlier results, starts empty.
  static ResultDirectory open(const std::filesystem::path& dir, RunMetadata metadata, bool resume,
                              MarkdownOptions markdown = {});

  ResultDirectory(ResultDirectory&&) = default;
  ResultDirectory& operator=(ResultDirectory&&) = default;

  // Whether the point already has a row that need not be measured again (any status but error).
  bool has(const Point& point) const;
  // Records one row in all three files (replacing an earlier row of the same point_key).
  void add(const Row& row);

  const std::vector<Row>& rows() const { return rows_; }
  const RunMetadata& metadata() const { return metadata_; }
  std::size_t resumed_rows() const { return resumed_rows_; }  // rows kept from the earlier run
  const std::filesystem::path& dir() const { return dir_; }
  std::filesystem::path csv_path() const { return dir_ / "results.csv"; }
  std::filesystem::path json_path() const { return dir_ / "results.json"; }
  std::filesystem::path markdown_path() const { return dir_ / "results.md"; }

 private:
  ResultDirectory() = default;
  void load_previous();
  void remember(Row row);  // add to rows_/index_, replacing a row with the same key
  void rewrite_csv();      // whole file, atomically; reopens the append stream
  void rewrite_summaries();  // results.json and results.md
  void open_csv_for_append();

  std::filesystem::path dir_;
  RunMetadata metadata_;
  MarkdownOptions markdown_;
  std::vector<Row> rows_;
  std::unordered_map<std::string, std::size_t> index_;  // point_key -> position in rows_
  std::size_t resumed_rows_ = 0;
  std::ofstream csv_;
  bool csv_varlen_ = false;  // the CSV has the varlen columns (some row has a varlen batch)
};

}  // namespace fa
