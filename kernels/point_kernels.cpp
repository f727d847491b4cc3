#include "cli/point_kernels.hpp"

#include "kernels/registry.hpp"
#include "measure/point_runner.hpp"

namespace fa::cli {
namespace {
// Kernels used only to ask supports()/workspace_bytes(): created once, never run.
AttentionKernel* probe_kernel(const std::string& name) {
  static KernelPool probes;
  return probes.get(name);
}
}  // namespace

PointKernel describe_point_kernel(const Point& pt, bool have_gpu) {
  const KernelEntry* e = find_kernel_entry(pt.kernel);
  if (!e) return {false, "unknown", "unknown kernel " + pt.kernel};
  if (e->state == KernelState::planned) return {false, "planned", e->reason};
  if (e->state == KernelState::unavailable) return {false, "unavailable", e->reason};
  if (e->backend == Backend::cuda && !have_gpu) return {false, "no-gpu", "no CUDA device on this machine"};
  // Shape support is the kernel's own answer.
  if (AttentionKernel* k = probe_kernel(pt.kernel)) {
    const Support s = k->supports(pt.problem, pt.pass);
    if (!s.ok) return {false, "unsupported", s.reason};
  }
  return {true, "ready", ""};
}

std::uint64_t estimated_point_bytes(const Point& pt) {
  const KernelEntry* e = find_kernel_entry(pt.kernel);
  const Backend b = e ? e->backend : Backend::cuda;
  std::uint64_t bytes = operand_bytes(pt.problem, pt.pass, b);
  if (e && e->state == KernelState::available) {
    if (AttentionKernel* k = probe_kernel(pt.kernel)) bytes += k->workspace_bytes(pt.problem, pt.pass);
  }
  return bytes;
}

AttentionKernel* KernelPool::get(const std::string& name) {
  auto it = kernels_.find(name);
  if (it != kernels_.end()) return it->second.get();
  std::unique_ptr<AttentionKernel> k = make_kernel(name);
  AttentionKernel* raw = k.get();
  kernels_.emplace(name, std::move(k));
  return raw;
}

}  // namespace fa::cli
