#pragma once
// The sweep-describing flags shared by `run` and `verify`: one option per sweep axis, plus
// --sweep / --sweep-file. Values are parsed by sweep/ (set_axis), so errors read the same
// whether they come from a flag or from a sweep file.
#include <map>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "sweep/expand.hpp"
#include "sweep/sweep_spec.hpp"

namespace fa::cli {

struct SweepFlags {
  std::map<std::string, std::string> axis_values;  // axis name -> value as typed
  std::string sweep_name;
  std::string sweep_file;
};

void add_sweep_flags(CLI::App& cmd, SweepFlags& flags);

// The spec the flags describe. With no --sweep and no axis flag, the built-in "default" sweep (GPU
// present) or "cpu-default" (no GPU; uses the CPU reference). Kernels default to every kernel
// available on this machine. `note` receives a line for the user about what was chosen.
SweepSpec resolve_sweep(const SweepFlags& flags, bool have_gpu, std::string* note);

// Points of the spec; kernels know whether they take the sparsity axes.
Expansion expand_for_catalog(const SweepSpec& spec);

}  // namespace fa::cli
