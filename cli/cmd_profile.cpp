// `fa-bench profile`: sets up exactly one point for Nsight Compute. Warm-up launches run first
// (module load, handles, plans stay out), then exactly one invocation between cudaProfilerStart
// and cudaProfilerStop inside an NVTX range named after the point, so `ncu --profile-from-start off`
// captures that invocation and nothing else.
#include <memory>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "cli/sweep_flags.hpp"
#include "core/errors.hpp"
#include "kernels/point_kernels.hpp"
#include "measure/device_info.hpp"
#include "measure/nvtx_range.hpp"
#include "measure/point_setup.hpp"
#include "measure/stream.hpp"

#if FA_HAS_CUDA
#include <cuda_profiler_api.h>
#include <cuda_runtime_api.h>

#include "core/cuda_check.hpp"
#endif

namespace fa::cli {

namespace {
struct ProfileFlags {
  SweepFlags sweep;
  int warmup = 3;
};

std::string shell_quote(const std::string& s) {
  if (s.find_first_of(" \t'\"$`\\|&;<>()*?") == std::string::npos) return s;
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

// The one point the flags describe: every axis single-valued (with no flags, a representative flash point).
Point single_point(const SweepFlags& flags, bool have_gpu) {
  SweepFlags sf = flags;
  const Expansion ex = expand_for_catalog(resolve_sweep(sf, have_gpu, nullptr));
  if (ex.points.size() != 1) {
    throw UsageError(fmt::format("profile: the flags describe {} points; give one value per axis "
                                 "(e.g. --kernel flash --batch 4 --heads 16 --seqlen 4096 --head-dim 128 --dtype bf16)",
                                 ex.points.size()));
  }
  return ex.points.front();
}

// The ncu command line that captures the point's invocation (argv as typed), and the scripts/ncu.sh one.
void print_capture_commands(const std::string& label, const std::vector<std::string>& argv) {
  std::string ncu = "ncu --clock-control none --profile-from-start off --set full -o fa-bench-profile";
  for (const std::string& a : argv) ncu += " " + shell_quote(a);
  std::string rest;
  for (std::size_t i = 2; i < argv.size(); ++i) rest += (rest.empty() ? "" : " ") + shell_quote(argv[i]);
  fmt::print("point: {}\nNVTX range: {}\nto capture it:\n  {}\n  (or scripts/ncu.sh {})\n", label, label, ncu, rest);
}

// `warmup` untimed invocations, then exactly one between cudaProfilerStart and cudaProfilerStop inside an
// NVTX range named after the point.
void run_profiled(AttentionKernel& kernel, const Point& pt, int warmup) {
  const bool cuda = kernel.backend() == Backend::cuda;
  StreamHandle stream(cuda);
  const std::unique_ptr<PointSetup> setup = set_up_point(kernel, pt, PointInputs{42}, PointPlace{stream.get(), 0});
  for (int i = 0; i < warmup; ++i) setup->run().run();
  stream.synchronize();
#if FA_HAS_CUDA
  if (cuda) FA_CUDA_CHECK(cudaProfilerStart());
#endif
  {
    NvtxRange range(point_label(pt), true);
    setup->run().run();
    stream.synchronize();
  }
#if FA_HAS_CUDA
  if (cuda) FA_CUDA_CHECK(cudaProfilerStop());
#endif
}

}  // namespace

Command add_profile_command(CLI::App& app, const std::vector<std::string>& argv) {
  auto flags = std::make_shared<ProfileFlags>();
  CLI::App* cmd = app.add_subcommand("profile", "run one point once, for ncu (prints the ncu command line)");
  add_sweep_flags(*cmd, flags->sweep);
  cmd->add_option("--warmup", flags->warmup, "untimed invocations before the profiled one (default 3)")
      ->check(CLI::NonNegativeNumber);
  return [flags, argv]() -> int {
    const bool have_gpu = !query_devices().devices.empty();
    const Point pt = single_point(flags->sweep, have_gpu);
    const std::string label = point_label(pt);
    print_capture_commands(label, argv);
    const PointKernel pk = describe_point_kernel(pt, have_gpu);
    if (!pk.runnable) throw UsageError("profile: " + pt.kernel + " cannot run here: " + pk.reason);
    KernelPool pool;
    run_profiled(*pool.get(pt.kernel), pt, flags->warmup);
    fmt::print("profiled one invocation of {}\n", label);
    return 0;
  };
}

}  // namespace fa::cli
