#pragma once
// A SweepSpec built the way flags and sweep files build one (set_axis, in order), with a fixed list
// of kernel names so that --kernel is checked without the registry.
#include <utility>
#include <vector>

#include "sweep/sweep_spec.hpp"

namespace fa::testing {

inline SweepSpec spec_with(const std::vector<std::pair<const char*, const char*>>& axes) {
  SweepSpec s;
  s.known_kernels = {"reference", "standard", "flash", "block_sparse", "cudnn", "ring"};
  for (const auto& [axis, value] : axes) set_axis(s, axis, value);
  return s;
}

}  // namespace fa::testing
