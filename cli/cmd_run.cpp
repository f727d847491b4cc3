// `fa-bench run`: expand the sweep, run every point, write CSV/Markdown/JSON as rows arrive.
#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "cli/run_metadata.hpp"
#include "cli/sweep_flags.hpp"
#include "core/errors.hpp"
#include "kernels/point_kernels.hpp"
#include "measure/device_info.hpp"
#include "measure/counters.hpp"
#include "measure/point_estimate.hpp"
#include "measure/point_runner.hpp"
#include "measure/sm_clock.hpp"
#include "measure/stream.hpp"
#include "reports/baseline_store.hpp"
#include "reports/compare.hpp"
#include "reports/compare_markdown.hpp"
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
  bool clock_normalize = false;
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
  std::string save_baseline, baseline;
  std::string baseline_dir = std::string(baselines::kDefaultDir);
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

}  // namespace

Command add_run_command(CLI::App& app, const std::string& command_line) {
  auto flags = std::make_shared<RunFlags>();
  CLI::App* cmd = app.add_subcommand("run", "run a sweep and write results (CSV, Markdown, JSON)");
  add_sweep_flags(*cmd, flags->sweep);
  cmd->add_option("--out", flags->out_dir, "output folder (default: fa-bench-results/<UTC timestamp>)");
  cmd->add_flag("--resume", flags->resume, "skip points already in --out (rows with status error are retried)");
  cmd->add_flag("--dry-run", flags->dry_run, "print the planned points, their count and estimated memory; run nothing");
  cmd->add_flag("--check", flags->check, "check every point against the float64 CPU reference (error column)");
  cmd->add_flag("--hot", flags->hot, "hot-cache timing: no L2 flush between samples (default: cold)");
  cmd->add_flag("--graph", flags->graph, "with --hot: time CUDA-graph replays of one invocation (no launch gaps)");
  cmd->add_flag("--no-counters", flags->no_counters, "do not read hardware counters (HBM bytes) with CUPTI");
  cmd->add_option("--metrics", flags->metrics,
                  "extra CUPTI metrics, comma-separated (defaults always: dram__bytes_read.sum, "
                  "dram__bytes_write.sum, lts__t_bytes.sum, gpu__time_duration.sum)");
  cmd->add_option("--min-samples", flags->min_samples, "samples before the stopping rule applies (default 10)")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("--max-samples", flags->max_samples, "sample cap per point (default 10000)")
      ->check(CLI::Range(1, 10000000));
  cmd->add_option("--max-noise", flags->max_noise_pct,
                  "stop when the relative standard error of the median is below this percentage (default 0.5)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--max-time", flags->max_time_s, "seconds of sampling per point at most (default 0.5)")
      ->check(CLI::Range(0.0, 3600.0));
  cmd->add_option("--min-warmup", flags->min_warmup_s,
                  "seconds to run each point back to back right before sampling, so the SM clock settles where "
                  "the GPU sustains it for that kernel (default 0)")
      ->check(CLI::Range(0.0, 60.0));
  cmd->add_option("--sample-gap", flags->sample_gap,
                  "after each sample let the GPU idle for this many times the sample's duration, keeping its "
                  "average power below the limit where it lowers the clock (default 0: back to back)")
      ->check(CLI::Range(0.0, 1000.0));
  cmd->add_option("--throttle-threshold", flags->throttle_threshold_pct,
                  "drop a sample whose SM clock is below this percentage of the point's highest sample clock, "
                  "and wait for the clock to recover (default 95; 0 keeps every sample)")
      ->check(CLI::Range(0.0, 100.0));
  cmd->add_option("--throttle-recovery", flags->throttle_recovery_s,
                  "seconds to wait after a dropped sample, doubled for each consecutive one (default 0.025)")
      ->check(CLI::Range(0.0, 10.0));
  cmd->add_option("--device", flags->device, "CUDA device index (default 0)")->check(CLI::NonNegativeNumber);
  cmd->add_option("--data-seed", flags->data_seed, "seed of the random input data (default 42)");
  cmd->add_option("--save-baseline", flags->save_baseline,
                  "after the run, store results.json as baseline NAME for this GPU model (see docs/ci.md)");
  cmd->add_option("--baseline", flags->baseline,
                  "after the run, compare against stored baseline NAME (exit 1 on a regression, like `compare`)");
  cmd->add_option("--baseline-dir", flags->baseline_dir, "where baselines live (default .fa-bench/baselines)");
  cmd->add_flag("--clock-normalize", flags->clock_normalize,
                "with --baseline: compare times at one SM clock, as `compare --clock-normalize` does");

  return [flags, command_line]() -> int {
    const RunFlags& f = *flags;
    const DeviceSummary devices = query_devices();
    const bool have_gpu = !devices.devices.empty();
    if (have_gpu && f.device >= static_cast<int>(devices.devices.size()))
      throw bad_value("--device", std::to_string(f.device), fmt::format("0 to {}", devices.devices.size() - 1));
    if (f.resume && f.out_dir.empty()) throw UsageError("--resume: needs --out DIR naming the run to resume");
    if (!f.baseline.empty()) baselines::check_name(f.baseline);
    if (!f.save_baseline.empty()) baselines::check_name(f.save_baseline);
    if (f.graph && !f.hot) throw UsageError("--graph: only with --hot (cold timing flushes L2 between samples)");
    std::string note;
    const SweepSpec spec = resolve_sweep(f.sweep, have_gpu, &note);
    const Expansion ex = expand_for_catalog(spec);
    if (!note.empty()) fmt::print("{}\n", note);
    if (f.dry_run) return dry_run(ex, have_gpu);

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
    std::unique_ptr<CounterSession> counters;
    if (have_gpu) {
      const DeviceInfo& dev = devices.devices[static_cast<std::size_t>(f.device)];
      opt.device_name = dev.name;
      opt.io.l2_bytes = static_cast<double>(dev.l2_bytes);
      opt.io.sm_count = dev.sm_count;
      if (f.no_counters) {
        opt.counters_off = "--no-counters";
      } else {
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
        counters = CounterSession::create(f.device, metrics, &why);
        opt.counters = counters.get();
        if (!counters) {
          opt.counters_off = why;
          if (!metrics.empty()) throw UsageError("--metrics: hardware counters unavailable: " + why);
          fmt::print("hardware counters off: {}\n", why);
        }
      }
    }

    const std::string out = f.out_dir.empty() ? "fa-bench-results/" + utc_timestamp_compact() : f.out_dir;
    const RunMetadata md = collect_metadata(command_line, devices, have_gpu ? to_string(opt.mode) : "host");
    ResultDirectory results = ResultDirectory::open(out, md, f.resume);
    fmt::print("{} points -> {}/results.{{csv,md,json}} ({} timing)\n", ex.points.size(), out, md.timing_mode);

#if FA_HAS_CUDA
    if (have_gpu) {
      // Clock ramp-up before the first timed point: an idle H100 reads ~400 MHz, and the first points of
      // a sweep should not be timed while it climbs.
      StreamHandle warm(true);
      spin_gpu(0.3, warm.get());
    }
#endif
    KernelPool pool;
    std::map<Status, int> counts;
    int index = 0, skipped = 0, failed_checks = 0;
    for (const Point& pt : ex.points) {
      ++index;
      if (f.resume && results.has(pt)) {
        ++skipped;
        continue;
      }
      const PointKernel pk = describe_point_kernel(pt, have_gpu);
      AttentionKernel* kernel = pk.runnable ? pool.get(pt.kernel) : nullptr;
      const Row row = run_point(pt, kernel, opt, pk.reason);
      results.add(row);
      counts[row.status]++;
      if (row.max_rel_error && row.tolerance && *row.max_rel_error > *row.tolerance) ++failed_checks;
      if (row.status == Status::ok) {
        fmt::print("[{}/{}] {:<58} {:>10.4f} ms  {:>8.2f} TFLOP/s  cv {:.1f}%{}{}\n", index, ex.points.size(),
                   point_label(pt), row.time.median_ms, row.tflops, 100 * row.time.cv,
                   row.check_note.empty() ? "" : "  " + row.check_note,
                   row.samples_dropped ? fmt::format("  ({} throttled samples dropped)", row.samples_dropped) : "");
      } else {
        fmt::print("[{}/{}] {:<58} {}: {}\n", index, ex.points.size(), point_label(pt), to_string(row.status),
                   row.reason);
      }
      std::fflush(stdout);
    }
    std::string summary;
    for (const auto& [s, n] : counts) summary += fmt::format("{}{} {}", summary.empty() ? "" : ", ", n, to_string(s));
    if (skipped) summary += fmt::format("{}{} already done (resume)", summary.empty() ? "" : ", ", skipped);
    fmt::print("done: {}\nresults: {}/results.csv, results.md, results.json\n", summary.empty() ? "nothing to do" : summary,
               out);
    int code = 0;
    if (failed_checks) {
      fmt::print(stderr, "{} point(s) failed the correctness check\n", failed_checks);
      code = 1;
    }
    if (!f.baseline.empty()) {
      // Compare before saving, so --baseline X --save-baseline X gates against the old X.
      const auto base = baselines::path_for(f.baseline_dir, f.baseline, md.device);
      if (!std::filesystem::exists(base))
        throw UsageError("--baseline: no baseline '" + f.baseline + "' for " + md.device + " (expected " +
                         base.string() + "; create it with --save-baseline)");
      CompareOptions compare_options;
      compare_options.clock_normalize = f.clock_normalize;
      const CompareOutcome outcome = compare_files(base.string(), results.json_path().string(), compare_options);
      fmt::print("\n{}", compare_markdown(outcome));
      code = std::max(code, outcome.exit_code());
    }
    if (!f.save_baseline.empty()) {
      const auto saved = baselines::save(f.baseline_dir, f.save_baseline, "", results.json_path());
      fmt::print("baseline saved: {}\n", saved.string());
    }
    return code;
  };
}

}  // namespace fa::cli
