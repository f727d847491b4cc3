#pragma once
// What fa-bench-gbench registers: the points of the resolved sweep, each with its benchmark name,
// whether it can run on this machine (and why not), and its FLOP count. Kept apart from Google
// Benchmark so that it can be tested without running anything.
#include <string>
#include <vector>

#include "core/problem.hpp"
#include "gbench/gbench_flags.hpp"

namespace fa::gbench {

struct PlannedPoint {
  Point point;
  std::string name;     // fa::point_label(point), made unique within the plan
  bool runnable = false;
  std::string reason;   // why not runnable (becomes the benchmark's SkipWithError message)
  double flops = 0;     // per invocation, the FLOP convention of core/flops.hpp (mask-aware)
};

struct Plan {
  std::vector<PlannedPoint> points;
  std::string note;                      // what sweep was chosen when none was named
  std::vector<std::string> drop_reasons;  // points dropped by --fa-tokens / --fa-hidden
};

// The sweep the flags describe, expanded in fa-bench's order. Throws UsageError (worded with the
// --fa- flag names) on a bad flag value or sweep.
Plan plan_points(const Options& opt, bool have_gpu);

}  // namespace fa::gbench
