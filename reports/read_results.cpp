// read_results (declared in reports/json.hpp): the one entry point for "a results file, whatever
// its format", used by commands that read earlier runs (report, compare).
#include <algorithm>
#include <cctype>
#include <filesystem>

#include "core/errors.hpp"
#include "reports/csv.hpp"
#include "reports/json.hpp"

namespace fa {

ResultFile read_results(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".json") return read_results_json(path);
  if (ext == ".csv") return ResultFile{RunMetadata{}, read_csv(path)};
  throw UsageError(path + ": unknown results format '" + ext + "' (accepted: .json, .csv)");
}

}  // namespace fa
