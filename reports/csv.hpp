#pragma once
// Result rows as CSV for pandas / spreadsheets: one header line, one row per line, every axis and
// every measurement in its own column, `point_key` last. Empty optional values are empty cells
// (never 0). Doubles are written with the shortest text that round-trips, so read_csv returns
// exactly what was written (except samples_ms, which only JSON keeps).
//
// Columns read back by name, so files with reordered or extra columns still load; derived columns
// (hbm_measured_over_model, point_key) are recomputed, not read. The `scale` column is the
// effective softmax scale; it reads back as Problem::softmax_scale = 0 ("default") when it equals
// 1/sqrt(head_dim), so point_key() is unchanged by a round trip.
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace fa {

// Header and row lines, without the trailing line break. The columns of variable-length batches
// (varlen, varlen_tokens, varlen_min, varlen_median, varlen_max; after seqlen_kv) only with
// varlen_columns, so files of runs without them keep their columns.
std::vector<std::string_view> csv_columns(bool varlen_columns = false);
std::string csv_header(bool varlen_columns = false);
std::string csv_row(const Row& row, bool varlen_columns = false);
bool any_varlen(const std::vector<Row>& rows);
// Header line, then one line per row, each ending in '\n'; varlen columns when some row has them.
std::string csv_text(const std::vector<Row>& rows);

// Throws UsageError (naming the file and line) on unreadable files, a missing column or a bad value.
std::vector<Row> read_csv(const std::string& path);
// `source` names the text in error messages. With drop_cut_tail, a last line cut short by an
// interrupted writer (no final line break) is ignored instead of parsed.
std::vector<Row> parse_csv(std::string_view text, const std::string& source, bool drop_cut_tail = false);

}  // namespace fa
