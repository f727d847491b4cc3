#pragma once
// Stored baselines for `fa-bench compare` and `fa-bench run --baseline NAME`: runs kept under a
// directory by GPU model and name, because a baseline only means something on the GPU that measured it:
//
//   DIR/<sanitised GPU model>/<name>.json       e.g. .fa-bench/baselines/NVIDIA_H100_80GB_HBM3/main.json
//
// A stored baseline holds one or more runs of the same build, each a whole results file (samples
// included, so the Mann-Whitney test has data):
//
//   {"schema": "fa-bench/baseline", "schema_version": 1, "runs": [<results.json>, ...]}
//
// Several runs are what lets the gate see how far a point's median moves between runs of unchanged
// code (reports/compare_noise.hpp): saving a run of the same build adds it; a run of another build
// starts the baseline over. A plain results file (how baselines were stored before) reads as one
// run. Files are written atomically, so a reader never sees half a file.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "reports/json.hpp"

namespace fa::baselines {

inline constexpr std::string_view kDefaultDir = ".fa-bench/baselines";
inline constexpr std::string_view kSchema = "fa-bench/baseline";
inline constexpr int kSchemaVersion = 1;
// Runs kept per baseline: the oldest is dropped beyond this. Ten runs pin a point's between-run
// spread well; more only make the file bigger.
inline constexpr std::size_t kMaxRuns = 10;

// A GPU model as a directory name: letters, digits, '.', '-' kept, every other run of characters
// one '_', none at either end ("NVIDIA H100 80GB HBM3" -> "NVIDIA_H100_80GB_HBM3"); "cpu (why)"
// -> "cpu" as in device_model(); "unknown" when nothing is left. Never "." or "..".
std::string sanitize_gpu_model(std::string_view gpu_model);

// Baseline names: letters, digits, '.', '_', '-', not starting with '.'. Throws UsageError
// (naming the name and what is accepted) otherwise: a name never reaches the file system unchecked.
void check_name(std::string_view name);

// Where baseline `name` of `gpu_model` lives (whether or not it exists). Throws UsageError for a bad name.
std::filesystem::path path_for(const std::filesystem::path& dir, std::string_view name, std::string_view gpu_model);

// The runs a baseline file holds, oldest first: a stored baseline's runs, or a results file (JSON or
// CSV) as one run. Throws UsageError naming the file when it is missing, malformed, of another schema
// or holds no run.
std::vector<ResultFile> read_runs(const std::filesystem::path& path);

struct SaveResult {
  std::filesystem::path path;  // where the baseline is
  std::size_t runs = 0;        // runs it holds now
  std::string note;            // how the run was filed: "run 3 of 3 (same build ...)", "started over: ..."
};

// Files a results JSON file as a run of baseline `name` of `gpu_model` (empty: the file's metadata
// device). The run is added when every stored run is of the same build: the same known git commit,
// tool version, build type and timing mode; otherwise (or when there is no baseline yet) the baseline
// starts over with it, and the note says why. At most kMaxRuns are kept. Throws UsageError when the
// file is not a readable fa-bench results JSON, or when its metadata names another device than
// `gpu_model` (a baseline filed under the wrong GPU would gate against the wrong numbers).
SaveResult save(const std::filesystem::path& dir, std::string_view name, std::string_view gpu_model,
                const std::filesystem::path& results_json_path);

struct StoredBaseline {
  std::string name;       // file name without .json
  std::string gpu_model;  // the sanitised directory name
  std::filesystem::path path;
  std::string device, git_commit, date_utc;  // from the last run's metadata (empty when unreadable)
  std::size_t runs = 0;  // runs held
  std::size_t rows = 0;  // rows of the last run
  std::string error;  // why the file could not be read, when it could not
};

// Every DIR/*/*.json, sorted by GPU model then name; empty when DIR does not exist.
std::vector<StoredBaseline> list(const std::filesystem::path& dir);

}  // namespace fa::baselines
