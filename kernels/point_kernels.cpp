#include "kernels/point_kernels.hpp"

#include "reference/masks.hpp"

namespace fa {
namespace {

PointKernel describe(const KernelCatalog& catalog, KernelPool& probes, const Point& pt, bool have_gpu, int device) {
  const KernelEntry* e = catalog.find(pt.kernel);
  if (!e) return {false, "unknown", "unknown kernel " + pt.kernel};
  if (e->state != KernelState::available) return {false, std::string(to_string(e->state)), e->reason};
  if (e->backend == Backend::cuda && !have_gpu) return {false, "no-gpu", "no CUDA device on this machine"};
  if (e->backend == Backend::cuda) {
    if (const Support s = usable_on_device(*e, device); !s.ok) return {false, "unavailable", s.reason};
  }
  // A mask that cannot stand for the density asked for would be a point other than the one named.
  if (e->uses_block_mask && !pt.problem.sparsity.is_dense()) {
    const Problem& p = pt.problem;
    const std::string why = ref::density_out_of_reach(p.sparsity, p.heads, p.seqlen_q, p.seqlen_kv, p.seed);
    if (!why.empty()) return {false, "unsupported", why};
  }
  // Grouped K/V heads only where the family says it implements them (kernels/family.hpp).
  if (!pt.problem.kv_heads_divide()) {
    return {false, "unsupported", "kv_heads " + std::to_string(pt.problem.kv_heads) + " does not divide heads " +
                                      std::to_string(pt.problem.heads)};
  }
  if (!e->grouped_kv) {
    if (const Support s = refuse_grouped_kv(e->name, pt.problem); !s.ok) return {false, "unsupported", s.reason};
  }
  // fp8 only where the family says it has a path, and only what any fp8 path runs.
  if (const Support s = e->fp8 ? refuse_fp8_pass(pt.problem, pt.pass) : refuse_fp8(e->name, pt.problem); !s.ok)
    return {false, "unsupported", s.reason};
  if (!e->varlen) {
    if (const Support s = refuse_varlen(e->name, pt.problem); !s.ok) return {false, "unsupported", s.reason};
  }
  // Shape support is the kernel's own answer.
  if (AttentionKernel* k = probes.get(pt.kernel)) {
    const Support s = k->supports(pt.problem, pt.pass);
    if (!s.ok) return {false, "unsupported", s.reason};
  }
  return {true, "ready", ""};
}

KernelPool& probe_pool() {
  static KernelPool probes;
  return probes;
}

}  // namespace

PointKernel describe_point_kernel(const Point& pt, bool have_gpu, int device) {
  return describe(kernel_catalog(), probe_pool(), pt, have_gpu, device);
}

PointKernel describe_point_kernel(const KernelCatalog& catalog, const Point& pt, bool have_gpu, int device) {
  KernelPool probes(catalog);
  return describe(catalog, probes, pt, have_gpu, device);
}

Support usable_on_device(const KernelEntry& e, int device) {
  return e.build.usable_on ? e.build.usable_on(device) : Support::yes();
}

AttentionKernel* KernelPool::get(std::string_view name) {
  auto it = kernels_.find(name);
  if (it != kernels_.end()) return it->second.get();
  std::unique_ptr<AttentionKernel> k = catalog_->make(name);
  AttentionKernel* raw = k.get();
  kernels_.emplace(std::string(name), std::move(k));
  return raw;
}

AttentionKernel* probe_kernel(std::string_view name) { return probe_pool().get(name); }

}  // namespace fa
