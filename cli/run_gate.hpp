#pragma once
// The regression gate inside `fa-bench run`: --baseline NAME compares the finished run against a
// stored baseline and re-measures each point that looks regressed before failing it
// (reports/compare_confirm.hpp); --save-baseline NAME files the run as a run of a stored baseline
// (reports/baseline_store.hpp); the test-only fault injection is checked and recorded here
// (measure/fault_injection.hpp).
#include <string>

#include <CLI/CLI.hpp>

#include "reports/compare_confirm.hpp"
#include "reports/metadata.hpp"
#include "reports/result_dir.hpp"

namespace fa::cli {

struct GateFlags {
  std::string save_baseline, baseline;
  std::string baseline_dir;
  bool raw_time = false;
  bool clock_normalize = false;  // the default since clock-normalized gating; kept for old scripts
  int confirm = 3;               // re-measurements of each regressed point (0: none)
};

void add_gate_flags(CLI::App& cmd, GateFlags& flags);

// Before anything runs: baseline names, the flags' combination and the fault-injection setting are
// checked (UsageError, exit 2). Returns whether the fault injection is on.
bool check_gate_flags(const GateFlags& flags);

// Once the run's metadata is known and before the first point: the baseline to gate against must
// exist (UsageError otherwise: better now than after the sweep), and a run with the fault injection
// on says so in its metadata and on stderr.
void prepare_gate(const GateFlags& flags, RunMetadata& metadata);

// After the sweep: gates against --baseline, re-measuring suspects with `remeasure` (`method` says
// where, for the verdict), prints the verdict and writes it to gate.md and gate.json in the run's
// folder, then saves --save-baseline. Returns the gate's exit code
// (0 without --baseline).
int finish_gate(const GateFlags& flags, const ResultDirectory& results, const RemeasureRound& remeasure,
                const std::string& method);

}  // namespace fa::cli
