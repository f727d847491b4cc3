#include "cli/sweep_flags.hpp"

#include <algorithm>

#include "core/errors.hpp"
#include "kernels/registry.hpp"
#include "sweep/sweep_file.hpp"

namespace fa::cli {

void add_sweep_flags(CLI::App& cmd, SweepFlags& flags) {
  for (const AxisInfo& axis : sweep_axes()) {
    const std::string name(axis.name);
    cmd.add_option_function<std::string>(
           "--" + name, [&flags, name](const std::string& v) { flags.axis_values[name] = v; },
           std::string(axis.help))
        ->type_name(std::string(axis.syntax));
  }
  std::string builtins;
  for (const SweepInfo& s : describe_builtin_sweeps()) builtins += (builtins.empty() ? "" : ", ") + s.name;
  cmd.add_option("--sweep", flags.sweep_name,
                 "named sweep: built-in (" + builtins + ") or from --sweep-file; axis flags override its values");
  cmd.add_option("--sweep-file", flags.sweep_file, "JSON file of named sweeps (see docs/sweeps.md)");
}

namespace {

std::vector<std::string> catalog_names() {
  std::vector<std::string> names;
  for (const KernelEntry& e : kernel_catalog()) names.push_back(e.name);
  return names;
}

std::vector<std::string> available_kernels(bool have_gpu) {
  std::vector<std::string> names;
  for (const KernelEntry& e : kernel_catalog()) {
    if (e.state != KernelState::available) continue;
    if (have_gpu ? e.backend == Backend::cuda : e.backend == Backend::host) names.push_back(e.name);
  }
  return names;
}

}  // namespace

SweepSpec resolve_sweep(const SweepFlags& flags, bool have_gpu, std::string* note) {
  SweepSpec base;
  base.known_kernels = catalog_names();
  SweepSpec spec = base;
  bool implicit_default = false;
  bool builtin = false;  // built-in sweeps name every family; those not runnable here are dropped
  if (!flags.sweep_file.empty()) {
    std::string name = flags.sweep_name;
    if (name.empty()) {
      const auto names = list_sweeps(flags.sweep_file);
      if (names.size() != 1) {
        std::string all;
        for (const auto& n : names) all += (all.empty() ? "" : ", ") + n;
        throw UsageError("--sweep: " + flags.sweep_file + " holds several sweeps; name one (accepted: " + all + ")");
      }
      name = names.front();
    }
    spec = load_sweep(flags.sweep_file, name, base);
  } else if (!flags.sweep_name.empty()) {
    spec = load_builtin_sweep(flags.sweep_name, base);
    builtin = true;
  } else if (flags.axis_values.empty()) {
    implicit_default = builtin = true;
    spec = load_builtin_sweep(have_gpu ? "default" : "cpu-default", base);
    if (note) {
      *note = have_gpu ? "No sweep given: running the built-in 'default' sweep on the GPU."
                       : "No GPU found: running the built-in 'cpu-default' sweep with the float64 CPU reference "
                         "kernel (real timings of the reference, not of GPU kernels).";
    }
  }
  // Flags override the sweep, in the fixed axis order so that derived axes behave predictably.
  for (const AxisInfo& axis : sweep_axes()) {
    auto it = flags.axis_values.find(std::string(axis.name));
    if (it != flags.axis_values.end()) set_axis(spec, axis.name, it->second);
  }
  const std::vector<std::string> here = available_kernels(have_gpu);
  if (spec.kernels.empty()) {
    spec.kernels = here;
    if (note && !implicit_default) {
      *note = have_gpu ? "No --kernel given: every GPU kernel available in this build."
                       : "No --kernel given and no GPU: using the float64 CPU reference kernel.";
    }
  } else if (builtin && !flags.axis_values.count("kernel")) {
    // Keep the families this machine can run.
    std::vector<std::string> keep;
    for (const auto& k : spec.kernels)
      if (std::find(here.begin(), here.end(), k) != here.end()) keep.push_back(k);
    if (!keep.empty()) spec.kernels = keep;
  }
  return spec;
}

Expansion expand_for_catalog(const SweepSpec& spec) {
  return expand(spec, [](std::string_view kernel) {
    const KernelEntry* e = find_kernel_entry(kernel);
    return e && e->uses_block_mask;
  });
}

}  // namespace fa::cli
