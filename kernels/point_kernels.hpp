#pragma once
// Which kernel serves a point on this machine, and why not when none does; shared by every front
// end (fa-bench run / verify / profile, fa-bench-gbench).
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "core/kernel.hpp"
#include "core/problem.hpp"
#include "kernels/registry.hpp"

namespace fa {

struct PointKernel {
  bool runnable = false;
  std::string state;   // ready, planned, unavailable, unsupported, no-gpu, unknown
  std::string reason;  // empty when ready
};

// have_gpu: a CUDA device is present; device: the one the points run on (a family may need a kind
// of GPU: FamilyBuild::usable_on).
PointKernel describe_point_kernel(const Point& pt, bool have_gpu, int device = 0);
PointKernel describe_point_kernel(const KernelCatalog& catalog, const Point& pt, bool have_gpu, int device = 0);

// Whether CUDA device `device` can run an available family (FamilyBuild::usable_on), and why not.
Support usable_on_device(const KernelEntry& e, int device);

// One instance per kernel family for the whole sweep (handles and plans are reused across points).
class KernelPool {
 public:
  explicit KernelPool(const KernelCatalog& catalog = kernel_catalog()) : catalog_(&catalog) {}
  AttentionKernel* get(std::string_view name);

 private:
  const KernelCatalog* catalog_;
  std::map<std::string, std::unique_ptr<AttentionKernel>, std::less<>> kernels_;
};

// A kernel of the family used only to ask supports() / workspace_bytes(): created once, never run
// (nullptr when the family is not available here).
AttentionKernel* probe_kernel(std::string_view name);

}  // namespace fa
