#include "reports/baseline_store.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <system_error>
#include <tuple>

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

}  // namespace

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

std::filesystem::path save(const std::filesystem::path& dir, std::string_view name, std::string_view gpu_model,
                           const std::filesystem::path& results_json_path) {
  check_name(name);
  // Read first: a file that is not a results JSON must never become a baseline.
  const ResultFile file = read_results_json(results_json_path.string());
  const std::string file_device = device_model(file.metadata.device);
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
  const std::filesystem::path target = path_for(dir, name, model);
  std::error_code ec;
  std::filesystem::create_directories(target.parent_path(), ec);
  if (ec) throw UsageError(target.parent_path().string() + ": cannot create the baseline directory: " + ec.message());
  write_file_atomically(target, read_bytes(results_json_path));
  return target;
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
        const ResultFile file = read_results_json(entry.path().string());
        b.device = file.metadata.device;
        b.git_commit = file.metadata.git_commit;
        b.date_utc = file.metadata.date_utc;
        b.rows = file.rows.size();
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
