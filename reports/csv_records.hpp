#pragma once
// RFC 4180 text <-> records, knowing nothing about result rows: fields separated by commas,
// records by LF or CRLF, fields holding a comma, quote or line break wrapped in double quotes
// with inner quotes doubled.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace fa {

// The field as it must appear in a CSV line (quoted only when needed).
std::string csv_field(std::string_view value);

struct CsvRecords {
  std::vector<std::vector<std::string>> records;  // blank lines are skipped
  std::vector<std::size_t> first_lines;            // 1-based line where each record starts
  // False when the text stops inside a quoted field or after a record with no line break: the
  // last record may then be a line cut short by an interrupted writer.
  bool ends_cleanly = true;
};

// Throws std::invalid_argument("line N: ...") for text after a closing quote.
CsvRecords split_csv(std::string_view text);

}  // namespace fa
