#include "measure/point_estimate.hpp"

#include "kernels/point_kernels.hpp"
#include "measure/point_runner.hpp"

namespace fa {

std::uint64_t estimated_point_bytes(const Point& pt) {
  const KernelEntry* e = find_kernel_entry(pt.kernel);
  const Backend b = e ? e->backend : Backend::cuda;
  std::uint64_t bytes = operand_bytes(pt.problem, pt.pass, b);
  if (e && e->state == KernelState::available) {
    if (AttentionKernel* k = probe_kernel(pt.kernel)) bytes += k->workspace_bytes(pt.problem, pt.pass);
  }
  return bytes;
}

}  // namespace fa
