#include "reports/csv_records.hpp"

#include <stdexcept>

namespace fa {

std::string csv_field(std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  std::string out = "\"";
  for (char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  out += '"';
  return out;
}

CsvRecords split_csv(std::string_view text) {
  CsvRecords out;
  std::vector<std::string> record;
  std::string field;
  bool in_quotes = false;
  bool after_quote = false;   // just closed a quoted field: only , or a line break may follow
  bool record_open = false;   // some character of the current record has been seen
  std::size_t line = 1, record_line = 1;

  auto end_record = [&] {
    record.push_back(std::move(field));
    field.clear();
    // A blank line reads as one empty field: not a record.
    if (!(record.size() == 1 && record[0].empty())) {
      out.records.push_back(std::move(record));
      out.first_lines.push_back(record_line);
    }
    record.clear();
    record_open = false;
    after_quote = false;
  };

  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (!record_open) {
      record_open = true;
      record_line = line;
    }
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
          after_quote = true;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == ',') {
      record.push_back(std::move(field));
      field.clear();
      after_quote = false;
    } else if (c == '\n' || c == '\r') {
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      end_record();
      ++line;
    } else if (after_quote) {
      throw std::invalid_argument("line " + std::to_string(line) + ": text after a closing quote");
    } else if (c == '"' && field.empty()) {
      in_quotes = true;
    } else {
      field += c;  // a quote inside an unquoted field is kept as text, as most readers do
    }
  }
  if (in_quotes || record_open) {
    out.ends_cleanly = false;
    end_record();
  }
  return out;
}

}  // namespace fa
