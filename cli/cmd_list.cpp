// `fa-bench list`: kernels (and whether they run here), devices, dtypes, built-in sweeps.
#include <memory>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "core/dtype.hpp"
#include "core/problem.hpp"
#include "kernels/registry.hpp"
#include "measure/device_info.hpp"
#include "sweep/sweep_file.hpp"

namespace fa::cli {

namespace {
const char* state_name(KernelState s) {
  switch (s) {
    case KernelState::available: return "available";
    case KernelState::unavailable: return "unavailable";
    case KernelState::planned: return "planned";
  }
  return "?";
}
}  // namespace

Command add_list_command(CLI::App& app) {
  app.add_subcommand("list", "list kernels, devices, dtypes and built-in sweeps");
  return []() -> int {
    const DeviceSummary d = query_devices();
    fmt::print("Kernels:\n");
    for (const KernelEntry& e : kernel_catalog()) {
      std::string state = state_name(e.state);
      if (e.state == KernelState::available && e.backend == Backend::cuda && d.devices.empty()) state += " (no GPU here)";
      fmt::print("  {:<13} {:<5} {:<24} {}{}\n", e.name, to_string(e.backend), state, e.summary,
                 e.reason.empty() ? "" : "  [" + e.reason + "]");
    }
    fmt::print("\nDevices:\n");
    if (d.devices.empty()) fmt::print("  none ({})\n", d.none_reason);
    for (const DeviceInfo& g : d.devices) {
      fmt::print("  [{}] {}  sm_{}{}  {} SMs  {:.1f} GiB  L2 {:.0f} MiB\n", g.index, g.name, g.cc_major, g.cc_minor,
                 g.sm_count, static_cast<double>(g.memory_bytes) / 1073741824.0,
                 static_cast<double>(g.l2_bytes) / 1048576.0);
    }
    if (!d.driver_version.empty() || !d.runtime_version.empty())
      fmt::print("  driver CUDA {}, runtime CUDA {}\n", d.driver_version.empty() ? "none" : d.driver_version,
                 d.runtime_version);
    fmt::print("\nDtypes: {}\nPasses: {}\nLayouts: {}\nSparsity patterns: {}\n", kDTypeNames, kPassNames,
               kLayoutNames, kSparsityNames);
    fmt::print("\nBuilt-in sweeps (fa-bench run --sweep NAME):\n");
    for (const SweepInfo& s : describe_builtin_sweeps()) fmt::print("  {:<14} {}\n", s.name, s.description);
    return 0;
  };
}

}  // namespace fa::cli
