#include "sweep/resolve.hpp"

#include <algorithm>

#include "core/errors.hpp"
#include "kernels/point_kernels.hpp"
#include "kernels/registry.hpp"
#include "sweep/sweep_file.hpp"

namespace fa {

namespace {

// The families that run here by default: available, of this machine's backend (CUDA with a GPU,
// the host reference without), and usable on the device.
std::vector<std::string> available_kernels(bool have_gpu, int device) {
  std::vector<std::string> names;
  for (const KernelEntry& e : kernel_catalog()) {
    if (e.state != KernelState::available) continue;
    if (have_gpu ? e.backend != Backend::cuda : e.backend != Backend::host) continue;
    if (have_gpu && !usable_on_device(e, device).ok) continue;
    names.emplace_back(e.name);
  }
  return names;
}

void apply_flag_values(SweepSpec& spec, const SweepFlags& flags) {
  for (const AxisInfo& axis : sweep_axes()) {
    auto it = flags.axis_values.find(std::string(axis.name));
    if (it != flags.axis_values.end()) set_axis(spec, axis.name, it->second);
  }
}

// No kernel list: every family that runs here (returns true). A built-in sweep's list without a --kernel
// flag (keep_runnable): the families this machine can run, if any.
bool choose_kernels(SweepSpec& spec, const std::vector<std::string>& here, bool keep_runnable) {
  if (spec.kernels.empty()) {
    spec.kernels = here;
    return true;
  }
  if (keep_runnable) {
    std::vector<std::string> keep;
    for (const auto& k : spec.kernels)
      if (std::find(here.begin(), here.end(), k) != here.end()) keep.push_back(k);
    if (!keep.empty()) spec.kernels = keep;
  }
  return false;
}

}  // namespace

SweepSpec resolve_sweep(const SweepFlags& flags, bool have_gpu, std::string* note, int device) {
  SweepSpec base;
  base.known_kernels = kernel_catalog().names();
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
  // Flags override the sweep (and each of its parts), in the fixed axis order so that derived axes behave
  // predictably.
  apply_flag_values(spec, flags);
  for (SweepSpec& part : spec.parts) apply_flag_values(part, flags);
  const std::vector<std::string> here = available_kernels(have_gpu, device);
  const bool keep_runnable = builtin && !flags.axis_values.count("kernel");
  bool defaulted = choose_kernels(spec, here, keep_runnable);
  for (SweepSpec& part : spec.parts) defaulted = choose_kernels(part, here, keep_runnable) || defaulted;
  if (defaulted && note && !implicit_default) {
    *note = have_gpu ? "No --kernel given: every GPU kernel available in this build."
                     : "No --kernel given and no GPU: using the float64 CPU reference kernel.";
  }
  return spec;
}

Expansion expand_for_catalog(const SweepSpec& spec) {
  return expand(spec, [](std::string_view kernel) {
    const KernelEntry* e = find_kernel_entry(kernel);
    return e && e->uses_block_mask;
  });
}

}  // namespace fa
