// Experiment behind measure/device_pool: does freeing (or allocating) device memory slow a memory-bound
// kernel that runs right after it? Prints per-launch times of a 2 GB -> 2 GB copy after each event.
// Build: nvcc -O2 -arch=sm_90a -o free_scrub docs/perf/scripts/2026-11-28-h200-free_scrub.cu -Xlinker -rpath=/usr/local/cuda/lib64
// Results (H200, 2026-11-28): docs/perf/2026-11-28-h200-session9.md.
#include <cuda_runtime.h>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>
#include <algorithm>
#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { std::printf("CUDA %s at %d\n", cudaGetErrorString(e_), __LINE__); std::exit(1);} } while (0)
__global__ void copy4(const float4* __restrict__ s, float4* __restrict__ d, size_t n) {
  for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < n; i += (size_t)gridDim.x * blockDim.x) d[i] = s[i];
}
static float4 *src, *dst; static size_t n4; static cudaEvent_t e0, e1; static cudaStream_t st;
static float one() { CK(cudaEventRecord(e0, st)); copy4<<<132 * 8, 512, 0, st>>>(src, dst, n4); CK(cudaGetLastError());
  CK(cudaEventRecord(e1, st)); CK(cudaEventSynchronize(e1)); float ms; CK(cudaEventElapsedTime(&ms, e0, e1)); return ms; }
static float ctrl = 0;
static void series(const char* label, int n = 40) {
  std::vector<float> t(n); for (int i = 0; i < n; ++i) t[i] = one();
  std::vector<float> s = t; std::sort(s.begin(), s.end()); float med = s[n / 2];
  if (ctrl == 0) ctrl = med;
  int slow = 0; for (int i = 0; i < n; ++i) if (t[i] > ctrl * 1.02f) slow = i + 1;
  std::printf("%-34s median %.4f ms (%.1f%% vs control), first5 %.4f %.4f %.4f %.4f %.4f, last launch >2%% slow: #%d\n", label, med,
              (med / ctrl - 1) * 100, t[0], t[1], t[2], t[3], t[4], slow);
}
int main() {
  CK(cudaSetDevice(0)); CK(cudaStreamCreateWithFlags(&st, cudaStreamNonBlocking));
  CK(cudaEventCreate(&e0)); CK(cudaEventCreate(&e1));
  size_t bytes = 2ull << 30; n4 = bytes / 16;
  CK(cudaMalloc(&src, bytes)); CK(cudaMalloc(&dst, bytes)); CK(cudaMemset(src, 1, bytes)); CK(cudaMemset(dst, 0, bytes));
  for (int i = 0; i < 30; ++i) one();
  series("control");
  for (size_t gb : {1, 4, 16}) {
    char l[80]; void* x;
    CK(cudaMalloc(&x, gb << 30)); std::snprintf(l, 80, "after cudaMalloc %zu GB (untouched)", gb); series(l);
    CK(cudaMemset(x, 1, gb << 30)); CK(cudaDeviceSynchronize()); std::snprintf(l, 80, "after memset %zu GB", gb); series(l);
    CK(cudaFree(x)); std::snprintf(l, 80, "after cudaFree %zu GB", gb); series(l);
    std::this_thread::sleep_for(std::chrono::milliseconds(300)); series("control after 300 ms idle");
  }
  // Stream-ordered pool that keeps its memory: free and re-allocate without returning it to the driver.
  cudaMemPool_t pool; CK(cudaDeviceGetDefaultMemPool(&pool, 0)); unsigned long long thr = ~0ull;
  CK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &thr));
  for (int r = 0; r < 2; ++r) {
    void* x; CK(cudaMallocAsync(&x, 4ull << 30, st)); CK(cudaMemsetAsync(x, 1, 4ull << 30, st)); CK(cudaStreamSynchronize(st));
    series(r ? "pool: after 2nd async alloc+memset 4GB" : "pool: after async alloc+memset 4 GB");
    CK(cudaFreeAsync(x, st)); CK(cudaStreamSynchronize(st)); series("pool: after cudaFreeAsync 4 GB");
  }
  CK(cudaMemPoolTrimTo(pool, 0)); CK(cudaDeviceSynchronize()); series("pool: after trim to 0 (4 GB released)");
  std::printf("done\n");
  return 0;
}
