#include "gbench/gbench_plan.hpp"

#include <map>

#include "core/errors.hpp"
#include "core/flops.hpp"
#include "kernels/point_kernels.hpp"
#include "measure/point_runner.hpp"
#include "sweep/resolve.hpp"

namespace fa::gbench {

Plan plan_points(const Options& opt, bool have_gpu) {
  Plan plan;
  SweepSpec spec;
  Expansion ex;
  try {
    spec = resolve_sweep(opt.sweep, have_gpu, &plan.note, opt.device);
    ex = expand_for_catalog(spec);
  } catch (const UsageError& e) {
    throw UsageError(reword_for_fa_flags(e.what()));
  }
  plan.drop_reasons = ex.drop_reasons;
  // Axes that point_label leaves out (scale, seed, block size) cannot differ within one sweep, but
  // Google Benchmark would silently show two results under one name if they did: number repeats.
  std::map<std::string, int> seen;
  plan.points.reserve(ex.points.size());
  for (const Point& pt : ex.points) {
    PlannedPoint pp;
    pp.point = pt;
    pp.name = point_label(pt);
    if (const int n = ++seen[pp.name]; n > 1) pp.name += "-dup" + std::to_string(n);
    const PointKernel pk = describe_point_kernel(pt, have_gpu, opt.device);
    pp.runnable = pk.runnable;
    pp.reason = pk.reason;
    pp.flops = dense_forward_flops(pt.problem) * pass_multiplier(pt.pass) * point_visible_fraction(pt.problem);
    plan.points.push_back(std::move(pp));
  }
  return plan;
}

}  // namespace fa::gbench
