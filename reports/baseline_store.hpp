#pragma once
// Stored baselines for `fa-bench compare` and `fa-bench run --baseline NAME`: result files kept
// under a directory by GPU model and name, because a baseline only means something on the GPU
// that measured it:
//
//   DIR/<sanitised GPU model>/<name>.json       e.g. .fa-bench/baselines/NVIDIA_H100_80GB_HBM3/main.json
//
// A stored baseline is a copy of a run's results.json, byte for byte (samples included, so the
// Mann-Whitney test has data), written atomically so a reader never sees half a file.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace fa::baselines {

inline constexpr std::string_view kDefaultDir = ".fa-bench/baselines";

// A GPU model as a directory name: letters, digits, '.', '-' kept, every other run of characters
// one '_', none at either end ("NVIDIA H100 80GB HBM3" -> "NVIDIA_H100_80GB_HBM3"); "cpu (why)"
// -> "cpu" as in device_model(); "unknown" when nothing is left. Never "." or "..".
std::string sanitize_gpu_model(std::string_view gpu_model);

// Baseline names: letters, digits, '.', '_', '-', not starting with '.'. Throws UsageError
// (naming the name and what is accepted) otherwise: a name never reaches the file system unchecked.
void check_name(std::string_view name);

// Where baseline `name` of `gpu_model` lives (whether or not it exists). Throws UsageError for a bad name.
std::filesystem::path path_for(const std::filesystem::path& dir, std::string_view name, std::string_view gpu_model);

// Copies a results JSON file into the store and returns where it went (replacing an older baseline
// of the same name and GPU). `gpu_model` empty: the file's metadata device. Throws UsageError when
// the file is not a readable fa-bench results JSON, or when its metadata names another device than
// `gpu_model` (a baseline filed under the wrong GPU would gate against the wrong numbers).
std::filesystem::path save(const std::filesystem::path& dir, std::string_view name, std::string_view gpu_model,
                           const std::filesystem::path& results_json_path);

struct StoredBaseline {
  std::string name;       // file name without .json
  std::string gpu_model;  // the sanitised directory name
  std::filesystem::path path;
  std::string device, git_commit, date_utc;  // from the file's metadata (empty when unreadable)
  std::size_t rows = 0;
  std::string error;  // why the file could not be read, when it could not
};

// Every DIR/*/*.json, sorted by GPU model then name; empty when DIR does not exist.
std::vector<StoredBaseline> list(const std::filesystem::path& dir);

}  // namespace fa::baselines
