#include "kernels/registry.hpp"

#include "kernels/reference/reference_kernel.hpp"
#if FA_FAMILY_STANDARD
#include "kernels/standard/standard_kernel.hpp"
#endif
#if FA_FAMILY_FLASH
#include "kernels/flash/flash_kernel.hpp"
#endif
#if FA_FAMILY_FLASH3
#include "kernels/flash3/flash3_kernel.hpp"
#endif
#if FA_FAMILY_BLOCK_SPARSE
#include "kernels/block_sparse/block_sparse_kernel.hpp"
#endif
// kernels/cudnn/CMakeLists.txt defines FA_CUDNN_MISSING=<code> when its dependencies are missing.
#if FA_FAMILY_CUDNN && !defined(FA_CUDNN_MISSING)
#include "kernels/cudnn/cudnn_kernel.hpp"
#endif
// kernels/ring/CMakeLists.txt defines FA_RING_MISSING=<code> when NCCL (or the flash family) is missing.
#if FA_FAMILY_RING && !defined(FA_RING_MISSING)
#include "kernels/ring/ring_kernel.hpp"
#endif

namespace fa {
namespace {

using Factory = std::unique_ptr<AttentionKernel> (*)();

// Factories of the CUDA families compiled into this build (null when not built).
#if FA_FAMILY_STANDARD
constexpr Factory kStandard = &make_standard_kernel;
#else
constexpr Factory kStandard = nullptr;
#endif
#if FA_FAMILY_FLASH
constexpr Factory kFlash = &make_flash_kernel;
#else
constexpr Factory kFlash = nullptr;
#endif
#if FA_FAMILY_FLASH3
constexpr Factory kFlash3 = &make_flash3_kernel;
#else
constexpr Factory kFlash3 = nullptr;
#endif
#if FA_FAMILY_BLOCK_SPARSE
constexpr Factory kBlockSparse = &make_block_sparse_kernel;
#else
constexpr Factory kBlockSparse = nullptr;
#endif
#if FA_FAMILY_CUDNN && !defined(FA_CUDNN_MISSING)
constexpr Factory kCudnn = &make_cudnn_kernel;
#else
constexpr Factory kCudnn = nullptr;
#endif
// Why cudnn is planned rather than built although FA_BENCH_FAMILIES asks for it: a dependency is
// missing (codes of kernels/cudnn/CMakeLists.txt). Left out of FA_BENCH_FAMILIES it is kNotBuilt.
#if !defined(FA_CUDNN_MISSING)
constexpr const char* kCudnnMissing = nullptr;
#elif FA_CUDNN_MISSING == 1
constexpr const char* kCudnnMissing = "not built: cuDNN frontend headers not found (pip install nvidia-cudnn-frontend)";
#elif FA_CUDNN_MISSING == 2
constexpr const char* kCudnnMissing = "not built: cudnn.h of cuDNN 9 not found";
#else
constexpr const char* kCudnnMissing = "not built: libcudnn not found";
#endif

#if FA_FAMILY_RING && !defined(FA_RING_MISSING)
constexpr Factory kRing = &make_ring_kernel;
#else
constexpr Factory kRing = nullptr;
#endif
// Why ring is planned rather than built although FA_BENCH_FAMILIES asks for it (codes of
// kernels/ring/CMakeLists.txt). Left out of FA_BENCH_FAMILIES it is kNotBuilt.
#if !defined(FA_RING_MISSING)
constexpr const char* kRingMissing = nullptr;
#elif FA_RING_MISSING == 1
constexpr const char* kRingMissing = "not built: nccl.h not found (install NCCL)";
#elif FA_RING_MISSING == 2
constexpr const char* kRingMissing = "not built: libnccl not found";
#else
constexpr const char* kRingMissing = "not built: needs the flash family (add flash to FA_BENCH_FAMILIES)";
#endif

#if FA_HAS_CUDA
constexpr const char* kNotBuilt = "not built in this configuration (FA_BENCH_FAMILIES)";
#else
constexpr const char* kNotBuilt = "not built: this build has no CUDA (FA_BENCH_CUDA=OFF or no nvcc)";
#endif

KernelEntry family(std::string name, std::string summary, Backend b, bool mask, Factory factory,
                   const char* planned_reason = nullptr) {
  KernelEntry e;
  e.name = std::move(name);
  e.summary = std::move(summary);
  e.backend = b;
  e.uses_block_mask = mask;
  e.factory = factory;
  if (factory) {
    e.state = KernelState::available;
  } else if (planned_reason) {
    e.state = KernelState::planned;
    e.reason = planned_reason;
  } else {
    e.state = KernelState::unavailable;
    e.reason = kNotBuilt;
  }
  return e;
}

std::vector<KernelEntry> build_catalog() {
  return {
      family("reference", "float64 CPU reference (exact; slow; runs anywhere)", Backend::host, true,
             &make_reference_kernel),
      family("standard", "cuBLAS QK^T, fused mask+softmax+dropout, cuBLAS PV; S and P in HBM", Backend::cuda,
             false, kStandard),
      family("flash", "fused tiled attention, online softmax, recompute in backward (FA2 style)",
             Backend::cuda, false, kFlash),
      family("flash3", "Hopper FlashAttention-3 style: TMA, wgmma, warp-specialised ping-pong (sm_90a)",
             Backend::cuda, false, kFlash3),
      family("block_sparse", "flash driven by a block mask; masked tiles never loaded", Backend::cuda, true,
             kBlockSparse),
      family("cudnn", "cuDNN fused flash SDPA through the cuDNN frontend (vendor yardstick)", Backend::cuda,
             false, kCudnn, kCudnnMissing),
      family("ring", "ring attention across GPUs over NCCL (sequence sharded, zigzag for causal; K/V blocks passed around)",
             Backend::cuda, false, kRing, kRingMissing),
  };
}

}  // namespace

const std::vector<KernelEntry>& kernel_catalog() {
  static const std::vector<KernelEntry> catalog = build_catalog();
  return catalog;
}

const KernelEntry* find_kernel_entry(std::string_view name) {
  for (const KernelEntry& e : kernel_catalog())
    if (e.name == name) return &e;
  return nullptr;
}

std::string kernel_names() {
  std::string s;
  for (const KernelEntry& e : kernel_catalog()) s += (s.empty() ? "" : ", ") + e.name;
  return s;
}

std::unique_ptr<AttentionKernel> make_kernel(std::string_view name) {
  const KernelEntry* e = find_kernel_entry(name);
  if (!e || e->state != KernelState::available || !e->factory) return nullptr;
  return e->factory();
}

}  // namespace fa
