#include "reports/result_dir.hpp"

#include <sstream>
#include <stdexcept>

#include "core/errors.hpp"
#include "reports/atomic_file.hpp"
#include "reports/csv.hpp"
#include "reports/json.hpp"

namespace fa {
namespace {

namespace fs = std::filesystem;

bool has_content(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec) && fs::file_size(p, ec) > 0 && !ec;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw UsageError(p.string() + ": cannot open for reading");
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace

ResultDirectory ResultDirectory::open(const fs::path& dir, RunMetadata metadata, bool resume, MarkdownOptions markdown) {
  ResultDirectory d;
  d.dir_ = dir;
  d.metadata_ = std::move(metadata);
  d.markdown_ = std::move(markdown);

  std::error_code ec;
  if (fs::exists(dir, ec) && !fs::is_directory(dir, ec)) {
    throw UsageError("--out " + dir.string() + ": exists and is not a directory");
  }
  std::string existing;
  for (const fs::path& p : {d.json_path(), d.csv_path(), d.markdown_path()}) {
    if (has_content(p)) existing += (existing.empty() ? "" : ", ") + p.filename().string();
  }
  if (!existing.empty() && !resume) {
    throw UsageError("--out " + dir.string() + ": already holds results (" + existing +
                     "); use --resume to continue that run, or choose another --out");
  }
  fs::create_directories(dir, ec);
  if (ec) throw UsageError("--out " + dir.string() + ": cannot create the directory: " + ec.message());

  if (!existing.empty()) d.load_previous();
  // Rewriting the CSV from the loaded rows also drops a line cut short by the interruption and
  // brings an older file's header to the current columns, so the header is there exactly once.
  d.rewrite_csv();
  d.rewrite_summaries();
  return d;
}

void ResultDirectory::load_previous() {
  RunMetadata previous_meta;
  const bool have_json = has_content(json_path());
  if (have_json) {
    ResultFile f = read_results_json(json_path().string());
    previous_meta = std::move(f.metadata);
    for (Row& r : f.rows) remember(std::move(r));
  }
  if (has_content(csv_path())) {
    // The CSV line of a row is written before results.json is replaced, so an interruption in
    // between leaves rows (or a retried error's new row) that only the CSV has.
    std::vector<Row> csv_rows;
    try {
      csv_rows = parse_csv(read_text(csv_path()), csv_path().string(), /*drop_cut_tail=*/true);
    } catch (const UsageError&) {
      if (!have_json) throw;  // results.json is the complete record; an unreadable CSV adds nothing
    }
    for (Row& r : csv_rows) {
      auto it = index_.find(point_key(r.point));
      const bool newer = it == index_.end() || (rows_[it->second].status == Status::error && r.status != Status::error);
      if (newer) remember(std::move(r));
    }
  }
  resumed_rows_ = rows_.size();

  const std::string earlier = previous_meta.date_utc.empty() ? std::string("earlier run") : previous_meta.date_utc;
  metadata_.resumed_from = previous_meta.resumed_from.empty() ? earlier : previous_meta.resumed_from + ", " + earlier;
}

void ResultDirectory::remember(Row row) {
  std::string key = point_key(row.point);
  auto it = index_.find(key);
  if (it != index_.end()) {
    rows_[it->second] = std::move(row);
  } else {
    index_.emplace(std::move(key), rows_.size());
    rows_.push_back(std::move(row));
  }
}

bool ResultDirectory::has(const Point& point) const {
  auto it = index_.find(point_key(point));
  return it != index_.end() && rows_[it->second].status != Status::error;
}

void ResultDirectory::add(const Row& row) {
  const bool replaces = index_.count(point_key(row.point)) > 0;
  const bool new_columns = row.point.problem.is_varlen() && !csv_varlen_;
  remember(row);
  if (replaces || new_columns) {
    // Rare: a retried point's old line must go, or the first varlen row brings its columns.
    rewrite_csv();
  } else {
    csv_ << csv_row(row, csv_varlen_) << '\n';
    csv_.flush();
    if (!csv_) throw std::runtime_error(csv_path().string() + ": write failed (disk full?)");
  }
  rewrite_summaries();
}

void ResultDirectory::rewrite_csv() {
  if (csv_.is_open()) csv_.close();
  csv_varlen_ = any_varlen(rows_);
  write_file_atomically(csv_path(), csv_text(rows_));
  open_csv_for_append();
}

void ResultDirectory::open_csv_for_append() {
  csv_.clear();
  csv_.open(csv_path(), std::ios::binary | std::ios::app);
  if (!csv_) throw std::runtime_error(csv_path().string() + ": cannot open for appending");
}

void ResultDirectory::rewrite_summaries() {
  write_file_atomically(json_path(), results_json_text(metadata_, rows_));
  write_file_atomically(markdown_path(), markdown_report(metadata_, rows_, markdown_));
}

}  // namespace fa
