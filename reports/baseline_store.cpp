#include "reports/baseline_store.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <system_error>
#include <tuple>

#include <fmt/core.h>

#include "core/errors.hpp"
#include "reports/atomic_file.hpp"
#include "reports/compare.hpp"
#include "reports/json.hpp"

namespace fa::baselines {
namespace {

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(path.string() + ": cannot open for reading");
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

nlohmann::json parse_json_file(const std::filesystem::path& path) {
  const std::string text = read_bytes(path);
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw UsageError(path.string() + ": malformed JSON: " + e.what());
  }
}

std::vector<ResultFile> runs_from_json(const nlohmann::json& j, const std::string& source) {
  const auto version = j.find("schema_version");
  if (version == j.end() || !version->is_number_integer() || version->get<int>() != kSchemaVersion) {
    throw UsageError(fmt::format("{}: schema_version of a '{}' file must be {}", source, kSchema, kSchemaVersion));
  }
  const auto runs = j.find("runs");
  if (runs == j.end() || !runs->is_array() || runs->empty()) {
    throw UsageError(source + ": a stored baseline needs a non-empty \"runs\" array");
  }
  std::vector<ResultFile> out;
  for (std::size_t i = 0; i < runs->size(); ++i) {
    out.push_back(results_from_json((*runs)[i], fmt::format("{}: runs[{}]", source, i)));
  }
  return out;
}

bool is_baseline_json(const nlohmann::json& j) {
  return j.is_object() && j.contains("schema") && j.at("schema").is_string() && j.at("schema") == kSchema;
}

// Why a new run cannot join the stored ones ("" when it can): runs of one baseline must be of one build.
std::string why_not_same_build(const RunMetadata& stored, const RunMetadata& fresh) {
  if (fresh.git_commit.empty() || fresh.git_commit == "unknown") return "this build's commit is unknown, so it cannot be told to match the stored runs'";
  for (const auto& [what, a, b] : {std::tuple{"commit", &stored.git_commit, &fresh.git_commit},
                                   std::tuple{"tool version", &stored.tool_version, &fresh.tool_version},
                                   std::tuple{"build type", &stored.build_type, &fresh.build_type},
                                   std::tuple{"timing mode", &stored.timing_mode, &fresh.timing_mode}}) {
    if (*a != *b) return fmt::format("{} {} differs from the stored runs' {}", what, b->empty() ? "?" : *b, a->empty() ? "?" : *a);
  }
  return {};
}

std::string lower_extension(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext;
}

}  // namespace

std::vector<ResultFile> read_runs(const std::filesystem::path& path) {
  if (lower_extension(path) != ".json") return {read_results(path.string())};
  const nlohmann::json j = parse_json_file(path);
  if (is_baseline_json(j)) return runs_from_json(j, path.string());
  return {results_from_json(j, path.string())};
}

std::string sanitize_gpu_model(std::string_view gpu_model) {
  const std::string model = device_model(gpu_model);
  std::string out;
  for (char c : model) {
    if (is_alnum(c) || c == '.' || c == '-') {
      out += c;
    } else if (!out.empty() && out.back() != '_') {
      out += '_';
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  // A leading dot would hide the directory, and "." / ".." are not directories of their own.
  const std::size_t start = out.find_first_not_of("._");
  out = start == std::string::npos ? std::string() : out.substr(start);
  return out.empty() ? "unknown" : out;
}

void check_name(std::string_view name) {
  const bool ok = !name.empty() && name.front() != '.' && name.size() <= 100 &&
                  std::all_of(name.begin(), name.end(), [](char c) { return is_alnum(c) || c == '.' || c == '_' || c == '-'; });
  if (!ok) {
    throw UsageError("baseline name '" + std::string(name) +
                     "' is not valid (accepted: letters, digits, '.', '_', '-', not starting with '.', e.g. main)");
  }
}

std::filesystem::path path_for(const std::filesystem::path& dir, std::string_view name, std::string_view gpu_model) {
  check_name(name);
  return dir / sanitize_gpu_model(gpu_model) / (std::string(name) + ".json");
}

SaveResult save(const std::filesystem::path& dir, std::string_view name, std::string_view gpu_model,
                const std::filesystem::path& results_json_path) {
  check_name(name);
  // Read first: a file that is not a results JSON must never become a baseline.
  ResultFile fresh = read_results_json(results_json_path.string());
  const std::string file_device = device_model(fresh.metadata.device);
  std::string model = device_model(gpu_model);
  if (model.empty()) {
    if (file_device.empty()) {
      throw UsageError(results_json_path.string() + ": its metadata names no device: give the GPU model to file it under");
    }
    model = file_device;
  } else if (!file_device.empty() && sanitize_gpu_model(file_device) != sanitize_gpu_model(model)) {
    throw UsageError(results_json_path.string() + " was measured on '" + file_device + "', not on '" + model +
                     "': not saved as a baseline for it");
  }
  SaveResult result;
  result.path = path_for(dir, name, model);
  std::vector<ResultFile> runs;
  std::error_code ec;
  if (std::filesystem::exists(result.path, ec)) {
    std::vector<ResultFile> stored;
    try {
      stored = read_runs(result.path);
    } catch (const UsageError& e) {
      result.note = std::string("started over: the stored baseline could not be read (") + e.what() + ")";
    }
    for (const ResultFile& run : stored) {
      if (const std::string why = why_not_same_build(run.metadata, fresh.metadata); !why.empty()) {
        result.note = "started over: " + why;
        stored.clear();
        break;
      }
    }
    runs = std::move(stored);
  } else {
    result.note = "new baseline";
  }
  runs.push_back(std::move(fresh));
  if (runs.size() > kMaxRuns) runs.erase(runs.begin(), runs.end() - static_cast<std::ptrdiff_t>(kMaxRuns));
  result.runs = runs.size();
  if (result.note.empty()) result.note = fmt::format("run added (same build): {} runs", runs.size());

  nlohmann::json j = {{"schema", kSchema}, {"schema_version", kSchemaVersion}, {"runs", nlohmann::json::array()}};
  for (const ResultFile& run : runs) j["runs"].push_back(results_to_json(run.metadata, run.rows));
  std::filesystem::create_directories(result.path.parent_path(), ec);
  if (ec) throw UsageError(result.path.parent_path().string() + ": cannot create the baseline directory: " + ec.message());
  write_file_atomically(result.path, j.dump() + "\n");  // compact: ten runs with samples add up
  return result;
}

std::vector<StoredBaseline> list(const std::filesystem::path& dir) {
  std::vector<StoredBaseline> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return out;
  for (const auto& gpu_dir : std::filesystem::directory_iterator(dir, ec)) {
    if (!gpu_dir.is_directory(ec)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(gpu_dir.path(), ec)) {
      if (!entry.is_regular_file(ec) || entry.path().extension() != ".json") continue;
      StoredBaseline b;
      b.name = entry.path().stem().string();
      b.gpu_model = gpu_dir.path().filename().string();
      b.path = entry.path();
      try {
        const std::vector<ResultFile> runs = read_runs(entry.path());
        const ResultFile& last = runs.back();
        b.device = last.metadata.device;
        b.git_commit = last.metadata.git_commit;
        b.date_utc = last.metadata.date_utc;
        b.runs = runs.size();
        b.rows = last.rows.size();
      } catch (const std::exception& e) {
        b.error = e.what();
      }
      out.push_back(std::move(b));
    }
  }
  std::sort(out.begin(), out.end(), [](const StoredBaseline& a, const StoredBaseline& b) {
    return std::tie(a.gpu_model, a.name) < std::tie(b.gpu_model, b.name);
  });
  return out;
}

}  // namespace fa::baselines
