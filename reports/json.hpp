#pragma once
// Result rows and run metadata as JSON. A row's JSON mirrors struct Row member for member
// (point.problem..., time..., samples_ms, optionals as null), plus a derived "point_key" for
// jq users (ignored when read). Non-finite doubles, which JSON cannot hold, are the strings
// "nan", "inf", "-inf".
//
// A results file: {"schema": "fa-bench/results", "schema_version": 1, "metadata": {...},
// "rows": [...]}. Readers reject other schemas or versions with a UsageError.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "reports/metadata.hpp"

namespace fa {

inline constexpr std::string_view kResultsSchema = "fa-bench/results";
inline constexpr int kResultsSchemaVersion = 1;

struct ResultFile {
  RunMetadata metadata;
  std::vector<Row> rows;
};

nlohmann::json row_to_json(const Row& row);
// `where` prefixes error messages ("results.json: rows[3]"). Throws UsageError.
Row row_from_json(const nlohmann::json& j, const std::string& where = "row");

nlohmann::json metadata_to_json(const RunMetadata& m);
RunMetadata metadata_from_json(const nlohmann::json& j, const std::string& where = "metadata");

nlohmann::json results_to_json(const RunMetadata& m, const std::vector<Row>& rows);
// Pretty-printed (2-space indent), ending in a line break: the content of results.json.
std::string results_json_text(const RunMetadata& m, const std::vector<Row>& rows);
ResultFile results_from_json(const nlohmann::json& j, const std::string& source);

// Throws UsageError for unreadable files, malformed JSON, another schema or version.
ResultFile read_results_json(const std::string& path);
// By extension: .json -> read_results_json; .csv -> read_csv with empty metadata.
ResultFile read_results(const std::string& path);

// nlohmann ADL hooks, so json(row) and j.get<Row>() work too.
void to_json(nlohmann::json& j, const Row& row);
void from_json(const nlohmann::json& j, Row& row);
void to_json(nlohmann::json& j, const RunMetadata& m);
void from_json(const nlohmann::json& j, RunMetadata& m);

}  // namespace fa
