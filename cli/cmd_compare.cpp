// `fa-bench compare BASELINE... CURRENT`: the CI regression gate on files. Prints the comparison as
// Markdown (for a pull-request comment), optionally writes it and a JSON verdict to files, and exits
// 0 (no regression), 1 (regression) or 2 (bad input: files, schema, devices, flags). Several BASELINE
// files are several runs of the baseline; it cannot re-measure, and says that its evidence is one
// current run (`fa-bench run --baseline` re-measures).
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "reports/atomic_file.hpp"
#include "reports/baseline_store.hpp"
#include "reports/compare.hpp"
#include "reports/compare_json.hpp"
#include "reports/compare_markdown.hpp"
#include "reports/json.hpp"
#include "reports/number_text.hpp"

namespace fa::cli {
namespace {

struct CompareFlags {
  std::vector<std::string> files;
  // Percentages as typed ("5" or "5%"), parsed after CLI11 so errors name the flag like other commands.
  std::string threshold = "3", bytes_threshold = "10", mem_threshold = "0", alpha = "0.01";
  double bytes_min_delta = 1048576;
  double device_peak_tolerance = 2097152;
  bool allow_device_mismatch = false;
  bool fail_on_missing = false;
  bool raw_time = false;
  bool clock_normalize = false;  // the default since clock-normalized gating; kept for old scripts
  std::string stored;
  std::string baseline_dir = std::string(baselines::kDefaultDir);
  std::string markdown_path, json_path;
};

double parse_number(const std::string& flag, std::string text, bool percent) {
  if (percent && !text.empty() && text.back() == '%') text.pop_back();
  const auto v = parse_double_text(text);
  if (!v) throw bad_value(flag, text, percent ? "a percentage, e.g. 5 or 5%" : "a number, e.g. 0.01");
  return *v;
}

CompareOptions options_from(const CompareFlags& f) {
  CompareOptions o;
  o.time_threshold_pct = parse_number("--threshold", f.threshold, true);
  o.bytes_threshold_pct = parse_number("--bytes-threshold", f.bytes_threshold, true);
  o.bytes_min_delta = f.bytes_min_delta;
  o.mem_threshold_pct = parse_number("--mem-threshold", f.mem_threshold, true);
  o.alpha = parse_number("--alpha", f.alpha, false);
  o.allow_device_mismatch = f.allow_device_mismatch;
  o.fail_on_missing = f.fail_on_missing;
  o.device_peak_tolerance_bytes = f.device_peak_tolerance;
  if (f.raw_time && f.clock_normalize) throw UsageError("--raw-time and --clock-normalize: choose one");
  o.raw_time = f.raw_time;
  validate(o);
  return o;
}

// BASELINE... and CURRENT (the last file), or with --stored NAME only CURRENT: the baseline is then
// the stored one of CURRENT's GPU, so one CI script serves runners with different GPUs.
std::pair<std::vector<std::string>, std::string> resolve_files(const CompareFlags& f) {
  if (f.stored.empty()) {
    if (f.files.size() < 2) {
      throw UsageError("compare: give BASELINE (one or more runs) and CURRENT result files (or --stored NAME CURRENT)");
    }
    return {std::vector<std::string>(f.files.begin(), f.files.end() - 1), f.files.back()};
  }
  if (f.files.size() != 1) throw UsageError("--stored: give only CURRENT; the baseline comes from --baseline-dir");
  const std::string& current = f.files[0];
  std::string device;
  try {
    const ResultFile file = read_results(current);
    device = file.metadata.device;
    if (device.empty() && !file.rows.empty()) device = file.rows.front().device;  // CSV: no metadata
  } catch (const UsageError& e) {
    throw UsageError(std::string("CURRENT ") + e.what());
  }
  if (device_model(device).empty()) throw UsageError("--stored: " + current + " names no device to pick the baseline by");
  const auto path = baselines::path_for(f.baseline_dir, f.stored, device);
  if (!std::filesystem::exists(path)) {
    throw UsageError(fmt::format("--stored: no baseline '{}' for '{}' in --baseline-dir {} (expected {})", f.stored,
                                 device_model(device), f.baseline_dir, path.string()));
  }
  return {{path.string()}, current};
}

void write_output(const std::string& flag, const std::string& path, const std::string& text) {
  if (path.empty()) return;
  try {
    write_file_atomically(path, text);
  } catch (const std::exception& e) {
    throw UsageError(flag + ": " + e.what());
  }
}

}  // namespace

Command add_compare_command(CLI::App& app) {
  auto flags = std::make_shared<CompareFlags>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "compare result files (the CI regression gate): exit 0 no regression, 1 regression, 2 bad input");
  cmd->add_option("BASELINE... CURRENT", flags->files,
                  "result files of fa-bench run, the last one CURRENT, those before it runs of the baseline (JSON "
                  "keeps the samples; CSV accepted; a stored baseline counts as its runs); with --stored only CURRENT")
      ->expected(1, 1000)
      ->required()
      ->type_name("FILE");
  cmd->add_option("--threshold", flags->threshold,
                  "smallest percent change of a median that can regress; a point's between-run noise may set its "
                  "line higher (default 3)")
      ->type_name("PCT");
  cmd->add_option("--alpha", flags->alpha, "significance level of the Mann-Whitney U test on the samples (default 0.01)")
      ->type_name("P");
  cmd->add_option("--bytes-threshold", flags->bytes_threshold,
                  "percent change of HBM read+write bytes that regresses (default 10)")
      ->type_name("PCT");
  cmd->add_option("--bytes-min-delta", flags->bytes_min_delta,
                  "byte changes smaller than this are never gated (counter noise floor; default 1048576)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--mem-threshold", flags->mem_threshold,
                  "percent increase of memory (tracked operands and scratch; also the device-wide peak, beyond its "
                  "tolerance) that regresses (default 0: any increase)")
      ->type_name("PCT");
  cmd->add_option("--device-peak-tolerance", flags->device_peak_tolerance,
                  "bytes the device-wide peak may grow without regressing: driver allocation granularity (default "
                  "2097152, one 2 MiB page)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("BYTES");
  cmd->add_flag("--allow-device-mismatch", flags->allow_device_mismatch,
                "compare results of different GPU models instead of refusing (exit 2)");
  cmd->add_flag("--fail-on-missing", flags->fail_on_missing, "fail (exit 1) when baseline points are missing from CURRENT");
  cmd->add_flag("--raw-time", flags->raw_time,
                "gate on times as measured instead of clock-normalized ones (see docs/ci.md)");
  cmd->add_flag("--clock-normalize", flags->clock_normalize,
                "compare times at one SM clock (the default; kept for older scripts)");
  cmd->add_option("--stored", flags->stored, "compare CURRENT against stored baseline NAME of its GPU (see docs/ci.md)")
      ->type_name("NAME");
  cmd->add_option("--baseline-dir", flags->baseline_dir, "stored baselines (default .fa-bench/baselines)")->type_name("DIR");
  cmd->add_option("--markdown", flags->markdown_path, "also write the Markdown summary to FILE (e.g. a PR comment body)")
      ->type_name("FILE");
  cmd->add_option("--json", flags->json_path, "write the machine-readable verdict to FILE")->type_name("FILE");
  return [flags]() -> int {
    const CompareOptions options = options_from(*flags);
    const auto [baseline, current] = resolve_files(*flags);
    const CompareOutcome outcome = compare_files(baseline, current, options);
    const std::string md = compare_markdown(outcome);
    fmt::print("{}", md);
    write_output("--markdown", flags->markdown_path, md);
    write_output("--json", flags->json_path, compare_json_text(outcome));
    return outcome.exit_code();
  };
}

}  // namespace fa::cli
