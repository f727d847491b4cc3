#pragma once
// Thin wrappers over the Hopper (sm_90a) instructions the flash3 kernels are built from: mbarriers, the bulk
// tensor copy engine (TMA), warpgroup MMA bookkeeping (fence / commit / wait, shared-memory descriptors),
// named barriers and register reallocation. Device code only; every function compiles to one or a few PTX
// instructions. The MMA instructions themselves are in wgmma_ops.cuh (generated).
#include <cstdint>

#include "core/warp_math.cuh"

namespace fa::flash3::ptx {

using fa::smem_u32;

// ---------------------------------------------------------------------------------------------
// mbarrier: a shared-memory barrier with an arrival count and a transaction (byte) count. A phase
// completes when all expected arrivals have arrived and all expected bytes have landed. Waiting is by
// phase parity: wait(parity) returns once the phase of that parity has completed; on a fresh barrier
// the "previous" phase (parity 1) counts as completed, which is why producers start at parity 1.
// ---------------------------------------------------------------------------------------------
__device__ __forceinline__ void mbar_init(std::uint32_t bar, std::uint32_t count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count) : "memory");
}

// Makes the initialised barriers visible to the async proxy (TMA) and the other threads.
__device__ __forceinline__ void fence_mbar_init() {
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
}

// One arrival that also announces `bytes` of TMA traffic this phase waits for.
__device__ __forceinline__ void mbar_arrive_expect_tx(std::uint32_t bar, std::uint32_t bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar), "r"(bytes) : "memory");
}

__device__ __forceinline__ void mbar_arrive(std::uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}

__device__ __forceinline__ bool mbar_try_wait(std::uint32_t bar, std::uint32_t parity) {
  std::uint32_t done;
  asm volatile(
      "{\n.reg .pred p;\nmbarrier.try_wait.parity.shared::cta.b64 p, [%1], %2;\nselp.u32 %0, 1, 0, p;\n}\n"
      : "=r"(done)
      : "r"(bar), "r"(parity)
      : "memory");
  return done != 0;
}

// Programmatic dependent launch: a kernel launched with cudaLaunchAttributeProgrammaticStreamSerialization may start
// before the kernel ahead of it in the stream has finished; grid_dependency_wait blocks until that kernel has
// completed and its writes are visible, and launch_dependents (in the kernel ahead) lets the dependent one start.
__device__ __forceinline__ void grid_dependency_wait() { asm volatile("griddepcontrol.wait;\n" ::: "memory"); }
__device__ __forceinline__ void launch_dependents() {
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
}

__device__ __forceinline__ void mbar_wait(std::uint32_t bar, std::uint32_t parity) {
  while (!mbar_try_wait(bar, parity)) {
  }
}

// ---------------------------------------------------------------------------------------------
// TMA: 4-D tiled copies described by a CUtensorMap (built on the host, passed as a __grid_constant__
// kernel parameter). Coordinates are in elements, innermost first: {d, n, h, b}. Loads complete on an
// mbarrier (bytes counted against its expect_tx); elements outside the tensor are filled with zeros and
// still counted. Stores clip what lies outside the tensor.
// ---------------------------------------------------------------------------------------------
__device__ __forceinline__ void tma_load_4d(std::uint32_t smem_dst, const void* tmap, std::uint32_t bar, int c0, int c1,
                                            int c2, int c3) {
  asm volatile(
      "cp.async.bulk.tensor.4d.shared::cluster.global.tile.mbarrier::complete_tx::bytes [%0], [%1, {%3, %4, %5, %6}], "
      "[%2];\n" ::"r"(smem_dst),
      "l"(reinterpret_cast<std::uint64_t>(tmap)), "r"(bar), "r"(c0), "r"(c1), "r"(c2), "r"(c3)
      : "memory");
}

__device__ __forceinline__ void tma_store_4d(const void* tmap, std::uint32_t smem_src, int c0, int c1, int c2, int c3) {
  asm volatile("cp.async.bulk.tensor.4d.global.shared::cta.bulk_group [%0, {%2, %3, %4, %5}], [%1];\n" ::"l"(
                   reinterpret_cast<std::uint64_t>(tmap)),
               "r"(smem_src), "r"(c0), "r"(c1), "r"(c2), "r"(c3)
               : "memory");
}

// Element-wise fp32 add of a shared-memory box into the tensor (coordinates as tma_load_4d), performed at L2
// by the copy engine; like a store it is tracked by the bulk group (commit / wait).
__device__ __forceinline__ void tma_reduce_add_4d(const void* tmap, std::uint32_t smem_src, int c0, int c1, int c2,
                                                  int c3) {
  asm volatile(
      "cp.reduce.async.bulk.tensor.4d.global.shared::cta.add.tile.bulk_group [%0, {%2, %3, %4, %5}], [%1];\n" ::"l"(
          reinterpret_cast<std::uint64_t>(tmap)),
      "r"(smem_src), "r"(c0), "r"(c1), "r"(c2), "r"(c3)
      : "memory");
}

// Plain bulk copy of `bytes` (a multiple of 16; both addresses 16-byte aligned) from global to shared
// memory, completing on an mbarrier like a tensor load.
__device__ __forceinline__ void bulk_load(std::uint32_t smem_dst, const void* src, std::uint32_t bytes,
                                          std::uint32_t bar) {
  asm volatile("cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::"r"(
                   smem_dst),
               "l"(reinterpret_cast<std::uint64_t>(src)), "r"(bytes), "r"(bar)
               : "memory");
}

__device__ __forceinline__ void tma_store_commit() { asm volatile("cp.async.bulk.commit_group;\n" ::: "memory"); }

// Until the shared memory of every committed store but the newest kPending groups has been read (it may
// then be overwritten).
template <int kPending = 0>
__device__ __forceinline__ void tma_store_wait_read() {
  asm volatile("cp.async.bulk.wait_group.read %0;\n" ::"n"(kPending) : "memory");
}

// Until every committed store has completed.
__device__ __forceinline__ void tma_store_wait_all() { asm volatile("cp.async.bulk.wait_group 0;\n" ::: "memory"); }

__device__ __forceinline__ void prefetch_tmap(const void* tmap) {
  asm volatile("prefetch.tensormap [%0];\n" ::"l"(reinterpret_cast<std::uint64_t>(tmap)) : "memory");
}

// Ordinary shared-memory stores that the async proxy (a TMA store, a wgmma operand) reads next must be
// fenced by every writing thread before the barrier that publishes them.
__device__ __forceinline__ void fence_proxy_async_smem() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

// ---------------------------------------------------------------------------------------------
// Named barriers (ids 1..15; 0 is __syncthreads). `count` threads, a multiple of 32, take part: sync waits,
// arrive only signals.
// ---------------------------------------------------------------------------------------------
__device__ __forceinline__ void named_bar_sync(int id, int count) {
  asm volatile("bar.sync %0, %1;\n" ::"r"(id), "r"(count) : "memory");
}

__device__ __forceinline__ void named_bar_arrive(int id, int count) {
  asm volatile("bar.arrive %0, %1;\n" ::"r"(id), "r"(count) : "memory");
}

// ---------------------------------------------------------------------------------------------
// Register reallocation between warpgroups (needs __launch_bounds__(threads, 1); every warp of the
// warpgroup executes it).
// ---------------------------------------------------------------------------------------------
template <int N>
__device__ __forceinline__ void regs_dealloc() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(N));
}
template <int N>
__device__ __forceinline__ void regs_alloc() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(N));
}

// ---------------------------------------------------------------------------------------------
// Warpgroup MMA bookkeeping. wgmma reads its register operands and writes its accumulators
// asynchronously: `fence` orders earlier register writes before the next wgmma; `commit` closes a group;
// `wait<N>` blocks until at most N groups are in flight. The compiler does not know the accumulators
// change at the wait, so fence_regs() pins them there (an empty asm that "modifies" each register).
// ---------------------------------------------------------------------------------------------
__device__ __forceinline__ void wgmma_fence() { asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory"); }
__device__ __forceinline__ void wgmma_commit() { asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory"); }
template <int N>
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(N) : "memory");
}

template <int R>
__device__ __forceinline__ void fence_regs(float (&r)[R]) {
#pragma unroll
  for (int i = 0; i < R; ++i) asm volatile("" : "+f"(r[i])::"memory");
}
template <int R>
__device__ __forceinline__ void fence_regs(std::uint32_t (&r)[R]) {
#pragma unroll
  for (int i = 0; i < R; ++i) asm volatile("" : "+r"(r[i])::"memory");
}

// Shared-memory matrix descriptor of a wgmma operand (PTX ISA "Matrix Descriptor Format"): start address,
// leading- and stride-dimension byte offsets (all >> 4), and the swizzle mode of the layout
// (1 = 128-byte, 2 = 64-byte, 3 = 32-byte rows). Tiles start on 1024-byte boundaries, so base offset 0.
__device__ __forceinline__ std::uint64_t smem_desc(std::uint32_t addr, std::uint32_t lbo, std::uint32_t sbo,
                                                   std::uint32_t swizzle_mode) {
  return static_cast<std::uint64_t>((addr & 0x3FFFFu) >> 4) | (static_cast<std::uint64_t>(lbo >> 4) << 16) |
         (static_cast<std::uint64_t>(sbo >> 4) << 32) | (static_cast<std::uint64_t>(swizzle_mode) << 62);
}

// The descriptor of the tile `off_bytes` (a multiple of 16) past the one `desc` describes. The start address field
// (bits 0-13) holds addr >> 4 and shared addresses stay below 2^18, so the move adds off_bytes >> 4 to the low word
// without a carry out of the field; the high word is unchanged. One integer add per wgmma instead of recomputing
// the whole descriptor (mask, shift, merge) from the moved address.
__device__ __forceinline__ std::uint64_t smem_desc_advance(std::uint64_t desc, std::uint32_t off_bytes) {
  const std::uint32_t lo = static_cast<std::uint32_t>(desc) + (off_bytes >> 4);
  return (desc & 0xFFFFFFFF00000000ull) | lo;
}

using fa::exp2_approx;
using fa::kLog2e;
using fa::quad_max;
using fa::quad_sum;

}  // namespace fa::flash3::ptx
