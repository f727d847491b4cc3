#include "measure/device_pool.hpp"

#if FA_HAS_CUDA
#include <cuda_runtime_api.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "core/cuda_check.hpp"
#endif

namespace fa::device_pool {

#if FA_HAS_CUDA
namespace {

struct DevicePool {
  cudaMemPool_t pool = nullptr;
  cudaStream_t stream = nullptr;  // allocations and frees are ordered here, then waited for
};

std::mutex mu;
std::map<int, DevicePool> pools;            // process lifetime: the driver releases them at exit
std::unordered_map<void*, int> owner;       // buffer -> device, for deallocate()

// FA_DEVICE_POOL=0: plain cudaMalloc/cudaFree per buffer, as before the pool (for comparing the two).
bool pool_enabled() {
  static const bool on = [] {
    const char* v = std::getenv("FA_DEVICE_POOL");
    return !(v && std::strcmp(v, "0") == 0);
  }();
  return on;
}

// The calling thread's device must be `device`. Caller holds mu.
DevicePool& pool_of(int device) {
  DevicePool& d = pools[device];
  if (d.pool) return d;
  cudaMemPoolProps props{};
  props.allocType = cudaMemAllocationTypePinned;
  props.location.type = cudaMemLocationTypeDevice;
  props.location.id = device;
  FA_CUDA_CHECK(cudaMemPoolCreate(&d.pool, &props));
  std::uint64_t keep_all = UINT64_MAX;
  FA_CUDA_CHECK(cudaMemPoolSetAttribute(d.pool, cudaMemPoolAttrReleaseThreshold, &keep_all));
  FA_CUDA_CHECK(cudaStreamCreateWithFlags(&d.stream, cudaStreamNonBlocking));
  return d;
}

std::uint64_t attribute(cudaMemPool_t pool, cudaMemPoolAttr a) {
  std::uint64_t v = 0;
  FA_CUDA_CHECK(cudaMemPoolGetAttribute(pool, a, &v));
  return v;
}

cudaError_t try_allocate(DevicePool& d, void** p, std::size_t bytes) {
  cudaError_t e = cudaMallocFromPoolAsync(p, bytes, d.pool, d.stream);
  if (e == cudaSuccess) e = cudaStreamSynchronize(d.stream);
  return e;
}

}  // namespace

void* allocate(std::size_t bytes) {
  if (!pool_enabled()) {
    void* p = nullptr;
    const cudaError_t e = cudaMalloc(&p, bytes);
    if (e == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();
      return nullptr;
    }
    FA_CUDA_CHECK(e);
    return p;
  }
  int device = 0;
  FA_CUDA_CHECK(cudaGetDevice(&device));
  std::lock_guard<std::mutex> lock(mu);
  DevicePool& d = pool_of(device);
  void* p = nullptr;
  cudaError_t e = try_allocate(d, &p, bytes);
  if (e == cudaErrorMemoryAllocation) {
    // The pool may hold freed blocks that do not fit this request: give them back and try once more.
    // (The driver already released a pool's unused memory by itself when a request needed it, on an
    // H200 with driver 580; this is the fallback.) The driver then scrubs what was given back, which
    // slows memory-bound work for a while (about 400 GB/s of scrub measured on an H200), so wait for
    // it at half that rate before going on.
    (void)cudaGetLastError();
    FA_CUDA_CHECK(cudaDeviceSynchronize());
    const std::uint64_t before = attribute(d.pool, cudaMemPoolAttrReservedMemCurrent);
    FA_CUDA_CHECK(cudaMemPoolTrimTo(d.pool, 0));
    const std::uint64_t released = before - attribute(d.pool, cudaMemPoolAttrReservedMemCurrent);
    if (released > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(static_cast<double>(released) / 200e9));
    }
    e = try_allocate(d, &p, bytes);
  }
  if (e == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // not sticky: the sweep goes on with an oom row
    return nullptr;
  }
  FA_CUDA_CHECK(e);
  owner[p] = device;
  return p;
}

void deallocate(void* p) noexcept {
  if (!p) return;
  if (!pool_enabled()) {
    (void)cudaFree(p);  // return code ignored: noexcept teardown path
    return;
  }
  std::lock_guard<std::mutex> lock(mu);
  auto it = owner.find(p);
  if (it == owner.end()) return;
  int current = 0;
  (void)cudaGetDevice(&current);
  if (current != it->second) (void)cudaSetDevice(it->second);
  (void)cudaDeviceSynchronize();
  DevicePool& d = pools[it->second];
  (void)cudaFreeAsync(p, d.stream);
  (void)cudaStreamSynchronize(d.stream);
  if (current != it->second) (void)cudaSetDevice(current);
  owner.erase(it);
}

std::uint64_t slack_bytes(int device) {
  std::lock_guard<std::mutex> lock(mu);
  auto it = pools.find(device);
  if (it == pools.end() || !it->second.pool) return 0;
  const std::uint64_t reserved = attribute(it->second.pool, cudaMemPoolAttrReservedMemCurrent);
  const std::uint64_t used = attribute(it->second.pool, cudaMemPoolAttrUsedMemCurrent);
  return reserved > used ? reserved - used : 0;
}

#else

void* allocate(std::size_t) { return nullptr; }
void deallocate(void*) noexcept {}
std::uint64_t slack_bytes(int) { return 0; }

#endif

}  // namespace fa::device_pool
