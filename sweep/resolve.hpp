#pragma once
// From what a user asked for (axis values, a named sweep, a sweep file) to the points to run, for
// the kernel families of this build: shared by every front end (fa-bench run / verify / profile take
// the choices from their flags, fa-bench-gbench from its --fa-* flags).
#include <map>
#include <string>
#include <vector>

#include "sweep/expand.hpp"
#include "sweep/sweep_spec.hpp"

namespace fa {

// The sweep-describing choices: one value per sweep axis, as typed, plus a named sweep.
struct SweepFlags {
  std::map<std::string, std::string> axis_values;  // axis name -> value as typed
  std::string sweep_name;
  std::string sweep_file;
};

// The spec the flags describe. With no --sweep and no axis flag, the built-in "default" sweep (GPU
// present) or "cpu-default" (no GPU; uses the CPU reference). Kernels default to every kernel
// that runs on this machine (on `device`, when a family needs a kind of GPU). `note` receives a
// line for the user about what was chosen.
SweepSpec resolve_sweep(const SweepFlags& flags, bool have_gpu, std::string* note, int device = 0);

// Points of the spec; kernels know whether they take the sparsity axes.
Expansion expand_for_catalog(const SweepSpec& spec);

}  // namespace fa
