#pragma once
// Which kernel serves a point on this machine, and why not when none does.
#include <map>
#include <memory>
#include <string>

#include "core/kernel.hpp"
#include "core/problem.hpp"

namespace fa::cli {

struct PointKernel {
  bool runnable = false;
  std::string state;   // ready, planned, unavailable, unsupported, no-gpu
  std::string reason;  // empty when ready
};

PointKernel describe_point_kernel(const Point& pt, bool have_gpu);

// Operands plus the kernel's declared workspace (operands only when the kernel is not built).
std::uint64_t estimated_point_bytes(const Point& pt);

// One instance per kernel family for the whole sweep (handles and plans are reused across points).
class KernelPool {
 public:
  AttentionKernel* get(const std::string& name);

 private:
  std::map<std::string, std::unique_ptr<AttentionKernel>> kernels_;
};

}  // namespace fa::cli
