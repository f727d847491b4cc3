// `fa-bench profile`: sets up exactly one point for Nsight Compute. Warm-up launches run first
// (module load, handles, plans stay out), then exactly one invocation between cudaProfilerStart
// and cudaProfilerStop inside an NVTX range named after the point, so `ncu --profile-from-start off`
// captures that invocation and nothing else.
#include <memory>
#include <optional>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "cli/sweep_flags.hpp"
#include "core/errors.hpp"
#include "kernels/point_kernels.hpp"
#include "measure/device_info.hpp"
#include "measure/operands.hpp"
#include "measure/stream.hpp"
#include "measure/tracking_allocator.hpp"
#include "reference/masks.hpp"

#if FA_HAS_CUDA
#include <cuda_profiler_api.h>
#include <cuda_runtime_api.h>
#include <nvtx3/nvToolsExt.h>

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
}  // namespace

Command add_profile_command(CLI::App& app, const std::vector<std::string>& argv) {
  auto flags = std::make_shared<ProfileFlags>();
  CLI::App* cmd = app.add_subcommand("profile", "run one point once, for ncu (prints the ncu command line)");
  add_sweep_flags(*cmd, flags->sweep);
  cmd->add_option("--warmup", flags->warmup, "untimed invocations before the profiled one (default 3)")
      ->check(CLI::NonNegativeNumber);
  return [flags, argv]() -> int {
    const DeviceSummary devices = query_devices();
    const bool have_gpu = !devices.devices.empty();
    SweepFlags sf = flags->sweep;
    // One point: every axis must be single-valued; with no flags use a representative flash point.
    const SweepSpec spec = resolve_sweep(sf, have_gpu, nullptr);
    const Expansion ex = expand_for_catalog(spec);
    if (ex.points.size() != 1) {
      throw UsageError(fmt::format("profile: the flags describe {} points; give one value per axis "
                                   "(e.g. --kernel flash --batch 4 --heads 16 --seqlen 4096 --head-dim 128 --dtype bf16)",
                                   ex.points.size()));
    }
    const Point& pt = ex.points.front();
    const std::string label = point_label(pt);
    std::string ncu = "ncu --clock-control none --profile-from-start off --set full -o fa-bench-profile";
    for (const std::string& a : argv) ncu += " " + shell_quote(a);
    fmt::print("point: {}\nNVTX range: {}\nto capture it:\n  {}\n  (or scripts/ncu.sh {})\n", label, label, ncu,
               [&] {
                 std::string rest;
                 for (std::size_t i = 2; i < argv.size(); ++i) rest += (rest.empty() ? "" : " ") + shell_quote(argv[i]);
                 return rest;
               }());
    const PointKernel pk = describe_point_kernel(pt, have_gpu);
    if (!pk.runnable) throw UsageError("profile: " + pt.kernel + " cannot run here: " + pk.reason);
    KernelPool pool;
    AttentionKernel* kernel = pool.get(pt.kernel);
    const bool cuda = kernel->backend() == Backend::cuda;
    HostTrackingAllocator host_alloc;
    DeviceTrackingAllocator dev_alloc;
    Allocator& alloc = cuda ? static_cast<Allocator&>(dev_alloc) : static_cast<Allocator&>(host_alloc);
    StreamHandle stream(cuda);
    std::optional<BlockMask> mask;
    const Problem& p = pt.problem;
    if (!p.sparsity.is_dense()) mask = ref::make_block_mask(p.sparsity, p.heads, p.seqlen_q, p.seqlen_kv, p.seed);
    OperandSet ops(p, pt.pass, kernel->backend(), alloc, mask ? &*mask : nullptr);
    ops.fill_random(42, stream.get());
    ExecContext ctx{stream.get(), &alloc, 0};
    auto run = kernel->prepare(p, pt.pass, ops.ops(), ctx);
    for (int i = 0; i < flags->warmup; ++i) run->run();
    stream.synchronize();
#if FA_HAS_CUDA
    if (cuda) FA_CUDA_CHECK(cudaProfilerStart());
    nvtxRangePushA(label.c_str());
#endif
    run->run();
    stream.synchronize();
#if FA_HAS_CUDA
    nvtxRangePop();
    if (cuda) FA_CUDA_CHECK(cudaProfilerStop());
#endif
    fmt::print("profiled one invocation of {}\n", label);
    return 0;
  };
}

}  // namespace fa::cli
