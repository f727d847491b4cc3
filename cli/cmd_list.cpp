// `fa-bench list`: kernels (and whether they run here), devices, dtypes, built-in sweeps.
#include <memory>

#include <fmt/core.h>

#include "cli/commands.hpp"
#include "core/dtype.hpp"
#include "core/problem.hpp"
#include "kernels/point_kernels.hpp"
#include "kernels/registry.hpp"
#include "measure/device_info.hpp"
#include "sweep/sweep_file.hpp"
#include "sweep/sweep_spec.hpp"

namespace fa::cli {

namespace {
// available, and where it cannot run on this machine, why not: no GPU, or the GPU (device 0) is not
// of the kind the family needs.
std::string state_here(const KernelEntry& e, const DeviceSummary& d, std::string* reason) {
  std::string state(to_string(e.state));
  *reason = e.reason;
  if (e.state != KernelState::available || e.backend != Backend::cuda) return state;
  if (d.devices.empty()) return state + " (no GPU here)";
  const Support s = usable_on_device(e, 0);
  if (s.ok) return state;
  *reason = s.reason;
  return state + " (not on this GPU)";
}
}  // namespace

Command add_list_command(CLI::App& app) {
  app.add_subcommand("list", "list kernels, devices, dtypes and built-in sweeps");
  return []() -> int {
    const DeviceSummary d = query_devices();
    fmt::print("Kernels:\n");
    for (const KernelEntry& e : kernel_catalog()) {
      std::string reason;
      const std::string state = state_here(e, d, &reason);
      fmt::print("  {:<13} {:<5} {:<24} {}{}\n", e.name, to_string(e.backend), state, e.summary,
                 reason.empty() ? "" : "  [" + reason + "]");
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
    fmt::print("\nSweep axes (flags of run, verify and profile; keys of sweep files; docs/sweeps.md):\n");
    for (const AxisInfo& a : sweep_axes()) fmt::print("  --{:<10} {:<10} {}\n", a.name, a.syntax, a.help);
    std::string grouped;
    for (const KernelEntry& e : kernel_catalog())
      if (e.grouped_kv) grouped += (grouped.empty() ? "" : ", ") + std::string(e.name);
    fmt::print("  Kernels that run grouped K/V heads (--kv-heads below --heads): {}\n", grouped.empty() ? "none" : grouped);
    std::string fp8;
    for (const KernelEntry& e : kernel_catalog())
      if (e.fp8) fp8 += (fp8.empty() ? "" : ", ") + std::string(e.name);
    fmt::print("  Kernels that run --dtype fp8 (E4M3 Q, K, V with per-tensor scales, bf16 O; forward, no dropout): {}\n",
               fp8.empty() ? "none" : fp8);
    std::string varlen;
    for (const KernelEntry& e : kernel_catalog())
      if (e.varlen) varlen += (varlen.empty() ? "" : ", ") + std::string(e.name);
    fmt::print("  Kernels that run variable-length batches (--varlen): {}\n", varlen.empty() ? "none" : varlen);
    fmt::print("\nBuilt-in sweeps (fa-bench run --sweep NAME):\n");
    for (const SweepInfo& s : describe_builtin_sweeps()) fmt::print("  {:<14} {}\n", s.name, s.description);
    return 0;
  };
}

}  // namespace fa::cli
