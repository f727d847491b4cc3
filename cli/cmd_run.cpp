// `fa-bench run`: expand the sweep, run every point, write CSV/Markdown/JSON as rows arrive.
#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "cli/remeasure.hpp"
#include "cli/run_gate.hpp"
#include "cli/run_metadata.hpp"
#include "cli/sweep_flags.hpp"
#include "core/errors.hpp"
#include "kernels/point_kernels.hpp"
#include "measure/copy_ceiling.hpp"
#include "measure/device_info.hpp"
#include "measure/counters.hpp"
#include "measure/point_estimate.hpp"
#include "measure/point_runner.hpp"
#include "measure/sm_clock.hpp"
#include "measure/stream.hpp"
#include "reports/number_text.hpp"
#include "reports/result_dir.hpp"

namespace fa::cli {
namespace {

struct RunFlags {
  SweepFlags sweep;
  std::string out_dir;
  bool resume = false;
  bool dry_run = false;
  bool check = false;
  bool hot = false;
  bool graph = false;
  bool no_counters = false;
  std::string metrics;
  int min_samples = 10;
  int max_samples = 10000;
  double max_noise_pct = 0.5;
  double max_time_s = 0.5;
  double throttle_threshold_pct = 95;
  double min_warmup_s = 0;
  double sample_gap = 0;
  double throttle_recovery_s = 0.025;
  int device = 0;
  std::uint64_t data_seed = 42;
  std::string points_from;  // the points of a results file instead of a sweep (re-measurement rounds)
  GateFlags gate;
};

std::string human_bytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) b /= 1024, ++u;
  return fmt::format("{:.1f} {}", b, units[u]);
}

int dry_run(const Expansion& ex, bool have_gpu) {
  fmt::print("{:>5}  {:<58} {:<12} {:>11}\n", "#", "point", "state", "est. memory");
  std::map<std::string, int> by_state;
  int i = 0;
  for (const Point& pt : ex.points) {
    const PointKernel pk = describe_point_kernel(pt, have_gpu);
    const double bytes = static_cast<double>(estimated_point_bytes(pt));
    by_state[pk.state]++;
    fmt::print("{:>5}  {:<58} {:<12} {:>11}{}\n", ++i, point_label(pt), pk.state, human_bytes(bytes),
               pk.reason.empty() ? "" : "  (" + pk.reason + ")");
  }
  std::string states;
  for (const auto& [s, n] : by_state) states += fmt::format("{}{} {}", states.empty() ? "" : ", ", n, s);
  fmt::print("{} points ({})", ex.points.size(), states.empty() ? "none" : states);
  if (ex.dropped_by_constraints) fmt::print("; {} dropped by --tokens/--hidden constraints", ex.dropped_by_constraints);
  fmt::print("\n");
  return 0;
}

void add_run_flags(CLI::App& cmd, RunFlags& f) {
  add_sweep_flags(cmd, f.sweep);
  cmd.add_option("--out", f.out_dir, "output folder (default: fa-bench-results/<UTC timestamp>)");
  cmd.add_flag("--resume", f.resume, "skip points already in --out (rows with status error are retried)");
  cmd.add_flag("--dry-run", f.dry_run, "print the planned points, their count and estimated memory; run nothing");
  cmd.add_flag("--check", f.check, "check every point against the float64 CPU reference (error column)");
  cmd.add_flag("--hot", f.hot, "hot-cache timing: no L2 flush between samples (default: cold)");
  cmd.add_flag("--graph", f.graph, "with --hot: time CUDA-graph replays of one invocation (no launch gaps)");
  cmd.add_flag("--no-counters", f.no_counters, "do not read hardware counters (HBM bytes) with CUPTI");
  cmd.add_option("--metrics", f.metrics,
                 "extra CUPTI metrics, comma-separated (defaults always: dram__bytes_read.sum, "
                 "dram__bytes_write.sum, lts__t_bytes.sum, gpu__time_duration.sum)");
  cmd.add_option("--min-samples", f.min_samples, "samples before the stopping rule applies (default 10)")
      ->check(CLI::Range(1, 1000000));
  cmd.add_option("--max-samples", f.max_samples, "sample cap per point (default 10000)")
      ->check(CLI::Range(1, 10000000));
  cmd.add_option("--max-noise", f.max_noise_pct,
                 "stop when the relative standard error of the median is below this percentage (default 0.5)")
      ->check(CLI::Range(0.0, 100.0));
  cmd.add_option("--max-time", f.max_time_s, "seconds of sampling per point at most (default 0.5)")
      ->check(CLI::Range(0.0, 3600.0));
  cmd.add_option("--min-warmup", f.min_warmup_s,
                 "seconds to run each point back to back right before sampling, so the SM clock settles where "
                 "the GPU sustains it for that kernel (default 0)")
      ->check(CLI::Range(0.0, 60.0));
  cmd.add_option("--sample-gap", f.sample_gap,
                 "after each sample let the GPU idle for this many times the sample's duration, keeping its "
                 "average power below the limit where it lowers the clock (default 0: back to back)")
      ->check(CLI::Range(0.0, 1000.0));
  cmd.add_option("--throttle-threshold", f.throttle_threshold_pct,
                 "drop a sample whose SM clock is below this percentage of the point's highest sample clock, "
                 "and wait for the clock to recover (default 95; 0 keeps every sample)")
      ->check(CLI::Range(0.0, 100.0));
  cmd.add_option("--throttle-recovery", f.throttle_recovery_s,
                 "seconds to wait after a dropped sample, doubled for each consecutive one (default 0.025)")
      ->check(CLI::Range(0.0, 10.0));
  cmd.add_option("--device", f.device, "CUDA device index (default 0)")->check(CLI::NonNegativeNumber);
  cmd.add_option("--data-seed", f.data_seed, "seed of the random input data (default 42)");
  cmd.add_option("--points-from", f.points_from,
                 "measure the points of a results file, in its order, instead of a sweep (how --baseline "
                 "re-measures; no sweep flags with it)")
      ->type_name("FILE");
  add_gate_flags(cmd, f.gate);
}

// The flags that decide how a point is measured, for a re-measurement process to measure the same way.
std::vector<std::string> measurement_args(const RunFlags& f) {
  std::vector<std::string> a{"--min-samples", std::to_string(f.min_samples), "--max-samples",
                             std::to_string(f.max_samples), "--max-noise", round_trip_text(f.max_noise_pct),
                             "--max-time", round_trip_text(f.max_time_s), "--min-warmup", round_trip_text(f.min_warmup_s),
                             "--sample-gap", round_trip_text(f.sample_gap), "--throttle-threshold",
                             round_trip_text(f.throttle_threshold_pct), "--throttle-recovery",
                             round_trip_text(f.throttle_recovery_s), "--device", std::to_string(f.device),
                             "--data-seed", std::to_string(f.data_seed)};
  for (const auto& [on, flag] : {std::pair{f.hot, "--hot"}, std::pair{f.graph, "--graph"},
                                 std::pair{f.no_counters, "--no-counters"}}) {
    if (on) a.emplace_back(flag);
  }
  if (!f.metrics.empty()) a.insert(a.end(), {"--metrics", f.metrics});
  return a;
}

// The points to run: the sweep's, or with --points-from a results file's.
Expansion planned_points(const RunFlags& f, bool have_gpu) {
  if (!f.points_from.empty()) {
    if (!f.sweep.axis_values.empty() || !f.sweep.sweep_name.empty() || !f.sweep.sweep_file.empty()) {
      throw UsageError("--points-from: takes the points from the file; give no --sweep, --sweep-file or axis flag");
    }
    Expansion ex;
    ex.points = points_from_file(f.points_from);
    return ex;
  }
  std::string note;
  const SweepSpec spec = resolve_sweep(f.sweep, have_gpu, &note, f.device);
  if (!note.empty()) fmt::print("{}\n", note);
  return expand_for_catalog(spec);
}

RunOptions timing_options(const RunFlags& f) {
  RunOptions opt;
  opt.rule.min_samples = f.min_samples;
  opt.rule.max_samples = std::max(f.max_samples, f.min_samples);
  opt.rule.max_noise = f.max_noise_pct / 100.0;
  opt.rule.max_time_s = f.max_time_s;
  opt.mode = f.hot ? TimingMode::hot : TimingMode::cold;
  opt.check = f.check;
  opt.graph = f.graph;
  opt.data_seed = f.data_seed;
  opt.device = f.device;
  opt.verify.device = f.device;
  opt.throttle.threshold = f.throttle_threshold_pct / 100.0;
  opt.min_warmup_s = f.min_warmup_s;
  opt.sample_gap = f.sample_gap;
  opt.throttle.recovery_s = f.throttle_recovery_s;
  return opt;
}

// The device's facts for the IO model, and the hardware-counter session (null when off: opt says why).
std::unique_ptr<CounterSession> open_counters(const RunFlags& f, const DeviceInfo& dev, RunOptions& opt) {
  opt.device_name = dev.name;
  opt.io.l2_bytes = static_cast<double>(dev.l2_bytes);
  opt.io.sm_count = dev.sm_count;
  if (f.no_counters) {
    opt.counters_off = "--no-counters";
    return nullptr;
  }
  std::vector<std::string> metrics;
  for (std::size_t pos = 0; pos < f.metrics.size();) {
    const std::size_t comma = std::min(f.metrics.find(',', pos), f.metrics.size());
    if (comma > pos) metrics.push_back(f.metrics.substr(pos, comma - pos));
    pos = comma + 1;
  }
  if (!metrics.empty()) {
    std::vector<std::string> all = default_counter_metrics();
    all.insert(all.end(), metrics.begin(), metrics.end());
    metrics = all;
  }
  std::string why;
  std::unique_ptr<CounterSession> counters = CounterSession::create(f.device, metrics, &why);
  opt.counters = counters.get();
  if (!counters) {
    opt.counters_off = why;
    if (!metrics.empty()) throw UsageError("--metrics: hardware counters unavailable: " + why);
    fmt::print("hardware counters off: {}\n", why);
  }
  return counters;
}

// The HBM ceiling of the rows' pct_peak_bandwidth, measured on this GPU (measure/copy_ceiling.hpp),
// and the metadata text that says which ceiling it is.
std::string measure_bandwidth_ceiling(int device, RunOptions& opt) {
  const double measured = measure_copy_ceiling(device);
  if (measured <= 0) {
    return fmt::format("{:.0f} GB/s (the default: no memory for the copy measurement)", opt.io.peak_hbm_bytes_per_s / 1e9);
  }
  opt.io.peak_hbm_bytes_per_s = measured;
  return fmt::format("{:.0f} GB/s (device-to-device copy of 1 GiB, read + write, best of 8)", measured / 1e9);
}

void print_row(int index, std::size_t total, const Point& pt, const Row& row) {
  if (row.status == Status::ok) {
    fmt::print("[{}/{}] {:<58} {:>10.4f} ms  {:>8.2f} TFLOP/s  cv {:.1f}%{}{}\n", index, total, point_label(pt),
               row.time.median_ms, row.tflops, 100 * row.time.cv, row.check_note.empty() ? "" : "  " + row.check_note,
               row.samples_dropped ? fmt::format("  ({} throttled samples dropped)", row.samples_dropped) : "");
  } else {
    fmt::print("[{}/{}] {:<58} {}: {}\n", index, total, point_label(pt), to_string(row.status), row.reason);
  }
  std::fflush(stdout);
}

struct SweepTally {
  std::map<Status, int> counts;
  int skipped = 0, failed_checks = 0;
};

// Every point of the sweep (those already in `results` skipped with --resume), each row recorded as it comes.
SweepTally run_sweep(const Expansion& ex, const RunFlags& f, bool have_gpu, const RunOptions& opt, KernelPool& pool,
                     ResultDirectory& results) {
  SweepTally tally;
  int index = 0;
  for (const Point& pt : ex.points) {
    ++index;
    if (f.resume && results.has(pt)) {
      ++tally.skipped;
      continue;
    }
    const PointKernel pk = describe_point_kernel(pt, have_gpu, f.device);
    AttentionKernel* kernel = pk.runnable ? pool.get(pt.kernel) : nullptr;
    const Row row = run_point(pt, kernel, opt, pk.reason);
    results.add(row);
    tally.counts[row.status]++;
    if (row.max_rel_error && row.tolerance && *row.max_rel_error > *row.tolerance) ++tally.failed_checks;
    print_row(index, ex.points.size(), pt, row);
  }
  return tally;
}

// "done: ..." and the exit code of the sweep itself (1 when a correctness check failed).
int report_sweep(const SweepTally& tally, const std::string& out) {
  std::string summary;
  for (const auto& [s, n] : tally.counts) summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", n, to_string(s));
  if (tally.skipped) summary += fmt::format("{}{} already done (resume)", summary.empty() ? "" : ", ", tally.skipped);
  fmt::print("done: {}\nresults: {}/results.csv, results.md, results.json\n",
             summary.empty() ? "nothing to do" : summary, out);
  if (!tally.failed_checks) return 0;
  fmt::print(stderr, "{} point(s) failed the correctness check\n", tally.failed_checks);
  return 1;
}

// Flag combinations that cannot work are refused (exit 2) before anything runs.
void check_run_flags(const RunFlags& f, const DeviceSummary& devices) {
  const std::size_t gpus = devices.devices.size();
  if (gpus > 0 && f.device >= static_cast<int>(gpus))
    throw bad_value("--device", std::to_string(f.device), fmt::format("0 to {}", gpus - 1));
  if (f.resume && f.out_dir.empty()) throw UsageError("--resume: needs --out DIR naming the run to resume");
  check_gate_flags(f.gate);
  if (f.graph && !f.hot) throw UsageError("--graph: only with --hot (cold timing flushes L2 between samples)");
}

// Clock ramp-up before the first timed point: an idle H100 reads ~400 MHz, and the first points of a
// sweep should not be timed while it climbs.
void ramp_up_clocks(bool have_gpu) {
#if FA_HAS_CUDA
  if (!have_gpu) return;
  StreamHandle warm(true);
  spin_gpu(0.3, warm.get());
#else
  (void)have_gpu;
#endif
}

// The gate's re-measurements: in fresh processes where fa-bench can start itself (cli/remeasure.hpp),
// else in this one; `method` says which, for the verdict. Child processes read their own counters:
// this process lets go of its profiler session first, so that one process at a time profiles the GPU.
RemeasureRound remeasure_rounds(const RunFlags& f, bool have_gpu, RunOptions& opt,
                                std::unique_ptr<CounterSession>& counters, KernelPool& pool,
                                const ResultDirectory& results, const RunMetadata& md, std::string* method) {
  const std::filesystem::path exe = own_executable();
  if (!exe.empty()) {
    opt.counters = nullptr;
    counters.reset();
    *method = "each round in a fresh fa-bench process";
    return child_process_rounds(exe, measurement_args(f), results.dir() / "confirm");
  }
  *method = "in this process: fa-bench could not start itself";
  return in_process_rounds(
      [&f, have_gpu, &opt, &pool](const Point& pt) {
        const PointKernel pk = describe_point_kernel(pt, have_gpu, f.device);
        return run_point(pt, pk.runnable ? pool.get(pt.kernel) : nullptr, opt, pk.reason);
      },
      results.dir() / "confirm", md);
}

// `run` once its flags are parsed: plan, measure every point into the result folder, then the gate.
int execute_run(const RunFlags& f, const std::string& command_line) {
  const DeviceSummary devices = query_devices();
  const bool have_gpu = !devices.devices.empty();
  check_run_flags(f, devices);
  const Expansion ex = planned_points(f, have_gpu);
  if (f.dry_run) return dry_run(ex, have_gpu);

  RunOptions opt = timing_options(f);
  std::unique_ptr<CounterSession> counters;
  std::string ceiling;
  if (have_gpu) {
    counters = open_counters(f, devices.devices[static_cast<std::size_t>(f.device)], opt);
    ceiling = measure_bandwidth_ceiling(f.device, opt);
  }

  const std::string out = f.out_dir.empty() ? "fa-bench-results/" + utc_timestamp_compact() : f.out_dir;
  RunMetadata md = collect_metadata(command_line, devices, have_gpu ? to_string(opt.mode) : "host");
  if (!ceiling.empty()) set_metadata_field(md, "hbm_copy_ceiling", ceiling);
  prepare_gate(f.gate, md);
  ResultDirectory results = ResultDirectory::open(out, md, f.resume);
  fmt::print("{} points -> {}/results.{{csv,md,json}} ({} timing)\n", ex.points.size(), out, md.timing_mode);

  ramp_up_clocks(have_gpu);
  KernelPool pool;
  const int code = report_sweep(run_sweep(ex, f, have_gpu, opt, pool, results), out);
  std::string method;
  const RemeasureRound remeasure = remeasure_rounds(f, have_gpu, opt, counters, pool, results, md, &method);
  return std::max(code, finish_gate(f.gate, results, remeasure, method));
}

}  // namespace

Command add_run_command(CLI::App& app, const std::string& command_line) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand("run", "run a sweep and write results (CSV, Markdown, JSON)");
  add_run_flags(*cmd, *flags);
  return [flags, command_line]() -> int { return execute_run(*flags, command_line); };
}

}  // namespace fa::cli
