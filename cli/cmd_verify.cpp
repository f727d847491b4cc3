// `fa-bench verify`: correctness of chosen points against the float64 reference, as a table.
#include <algorithm>
#include <memory>
#include <stdexcept>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "cli/sweep_flags.hpp"
#include "core/errors.hpp"
#include "kernels/point_kernels.hpp"
#include "measure/device_info.hpp"
#include "measure/verify.hpp"
#include "reference/parallel.hpp"

namespace fa::cli {

namespace {
struct VerifyFlags {
  SweepFlags sweep;
  double input_scale = 1.0;
  std::uint64_t data_seed = 1234;
};

std::string cell(const VerifyResult& r, const char* name) {
  auto it = r.errors.find(name);
  return it == r.errors.end() ? "-" : fmt::format("{:.2e}", it->second);
}

// The float64 reference runs on every core (reference/parallel.hpp): verify lets it take proportionally
// more work before it checks one head or skips a point (at most 16 times the one-thread budget, so a big
// machine does not spend minutes on one point). A bad FA_REFERENCE_THREADS is a usage error.
double reference_work_scale() {
  try {
    return static_cast<double>(std::min(ref::reference_threads(), 16u));
  } catch (const std::invalid_argument& e) {
    throw UsageError(e.what());
  }
}
}  // namespace

Command add_verify_command(CLI::App& app) {
  auto flags = std::make_shared<VerifyFlags>();
  CLI::App* cmd = app.add_subcommand("verify", "check kernels against the float64 CPU reference; exit 1 on a failure");
  add_sweep_flags(*cmd, flags->sweep);
  cmd->add_option("--input-scale", flags->input_scale, "std-dev of Q and K (large values give large logits; default 1)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--data-seed", flags->data_seed, "seed of the random inputs (default 1234)");
  return [flags]() -> int {
    const DeviceSummary devices = query_devices();
    const bool have_gpu = !devices.devices.empty();
    std::string note;
    const SweepSpec spec = resolve_sweep(flags->sweep, have_gpu, &note);
    const Expansion ex = expand_for_catalog(spec);
    if (!note.empty()) fmt::print("{}\n", note);
    VerifyOptions opt;
    opt.input_scale = flags->input_scale;
    opt.data_seed = flags->data_seed;
    opt.max_reference_work *= reference_work_scale();
    KernelPool pool;
    int failed = 0, passed = 0, skipped = 0;
    fmt::print("{:<58} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8}  {}\n", "point", "o", "lse", "dq", "dk", "dv", "tol",
               "result");
    for (const Point& pt : ex.points) {
      const PointKernel pk = describe_point_kernel(pt, have_gpu);
      if (!pk.runnable) {
        ++skipped;
        fmt::print("{:<58} skipped: {}\n", point_label(pt), pk.reason);
        continue;
      }
      VerifyResult r;
      try {
        r = verify_point(*pool.get(pt.kernel), pt, opt);
      } catch (const std::exception& e) {
        r.ok = false;
        r.note = std::string("error: ") + e.what();
      }
      const char* result = r.skipped ? "SKIP" : r.ok ? "PASS" : "FAIL";
      r.skipped ? ++skipped : r.ok ? ++passed : ++failed;
      fmt::print("{:<58} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8.1e}  {}{}\n", point_label(pt), cell(r, "o"),
                 cell(r, "lse"), cell(r, "dq"), cell(r, "dk"), cell(r, "dv"), r.tolerance, result,
                 r.ok && !r.skipped ? "" : "  " + r.note);
    }
    fmt::print("{} passed, {} failed, {} skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
  };
}

}  // namespace fa::cli
