#include "cli/run_gate.hpp"

#include <filesystem>

#include <fmt/core.h>

#include "core/errors.hpp"
#include "measure/fault_injection.hpp"
#include "reports/atomic_file.hpp"
#include "reports/baseline_store.hpp"
#include "reports/compare.hpp"
#include "reports/compare_json.hpp"
#include "reports/compare_markdown.hpp"
#include "reports/json.hpp"

namespace fa::cli {
namespace {

std::filesystem::path baseline_path(const GateFlags& f, const std::string& device) {
  return baselines::path_for(f.baseline_dir, f.baseline, device);
}

}  // namespace

void add_gate_flags(CLI::App& cmd, GateFlags& flags) {
  flags.baseline_dir = std::string(baselines::kDefaultDir);
  cmd.add_option("--save-baseline", flags.save_baseline,
                 "after the run, file results.json as a run of baseline NAME for this GPU model: added to its runs "
                 "when they are of the same build, else the baseline starts over (see docs/ci.md)");
  cmd.add_option("--baseline", flags.baseline,
                 "after the run, gate against stored baseline NAME, re-measuring each regressed point before "
                 "failing it (exit 1 on a confirmed regression)");
  cmd.add_option("--baseline-dir", flags.baseline_dir, "where baselines live (default .fa-bench/baselines)");
  cmd.add_option("--confirm", flags.confirm,
                 "with --baseline: re-measure each point whose time or HBM bytes regressed this many times, failing "
                 "it only when the regression shows again (default 3; 0: fail on the first run's evidence)")
      ->check(CLI::Range(0, 100));
  cmd.add_flag("--raw-time", flags.raw_time,
               "with --baseline: gate on times as measured, not clock-normalized (see docs/ci.md)");
  cmd.add_flag("--clock-normalize", flags.clock_normalize,
               "with --baseline: compare times at one SM clock (the default; kept for older scripts)");
}

bool check_gate_flags(const GateFlags& f) {
  if (!f.baseline.empty()) baselines::check_name(f.baseline);
  if (!f.save_baseline.empty()) baselines::check_name(f.save_baseline);
  if (f.raw_time && f.clock_normalize) throw UsageError("--raw-time and --clock-normalize: choose one");
  const bool injecting = fault_injection::from_environment().has_value();
  if (injecting && !f.save_baseline.empty()) {
    throw UsageError(fmt::format("--save-baseline: refused while the test-only fault injection is on ({} is set): a "
                                 "deliberately slowed run must never become a baseline",
                                 fault_injection::kSpecVar));
  }
  return injecting;
}

void prepare_gate(const GateFlags& f, RunMetadata& md) {
  if (!f.baseline.empty()) {
    const auto base = baseline_path(f, md.device);
    if (!std::filesystem::exists(base)) {
      throw UsageError("--baseline: no baseline '" + f.baseline + "' for " + md.device + " (expected " + base.string() +
                       "; create it with --save-baseline)");
    }
  }
  if (const auto spec = fault_injection::from_environment()) {
    md.extra[std::string(kFaultInjectionMetadataKey)] = spec->text;
    md.notes += std::string(md.notes.empty() ? "" : "; ") + "TEST-ONLY fault injection on: matching points slowed on purpose";
    fmt::print(stderr, "fa-bench: WARNING: test-only fault injection on ({}={}): matching points are slowed down on "
               "purpose; these results are not measurements of the code\n", fault_injection::kSpecVar, spec->text);
  }
}

int finish_gate(const GateFlags& f, const ResultDirectory& results, const RemeasureRound& remeasure,
                const std::string& method) {
  int code = 0;
  if (!f.baseline.empty()) {
    // Gate before saving, so --baseline X --save-baseline X gates against the old X.
    CompareOptions options;
    options.raw_time = f.raw_time;
    CompareOutcome outcome =
        compare_files(baseline_path(f, results.metadata().device).string(), results.json_path().string(), options);
    outcome.confirm_method = method;
    confirm_regressions(outcome, remeasure, static_cast<std::size_t>(f.confirm));
    const std::string md = compare_markdown(outcome);
    fmt::print("\n{}", md);
    write_file_atomically(results.dir() / "gate.md", md);
    write_file_atomically(results.dir() / "gate.json", compare_json_text(outcome));
    code = outcome.exit_code();
  }
  if (!f.save_baseline.empty()) {
    const baselines::SaveResult saved = baselines::save(f.baseline_dir, f.save_baseline, "", results.json_path());
    fmt::print("baseline saved: {} ({})\n", saved.path.string(), saved.note);
  }
  return code;
}

}  // namespace fa::cli
