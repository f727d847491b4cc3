// One-off (session 20): how fast one warpgroup's e4m3 GEMM phases run on the tensor core, alone and with the other
// warpgroup issuing too, to see where the fp8 D 128 forward's "GEMM phase = twice its tensor work" comes from.
// One CTA per SM (132), 2 warpgroups; WGS of them issue, each R iterations of one mode on its own accumulators; the
// operands are random e4m3 bytes in shared memory (128-byte swizzle) and registers. Result: cycles per iteration
// (clock64 around the loop, the slowest warpgroup of CTA 0.. median over CTAs) and the tensor core's share of them
// (one iteration's m64 x n x k MACs at 4096 e4m3 MACs per cycle per SM, times the issuing warpgroups).
// Build: nvcc -O3 -std=c++20 -gencode arch=compute_90a,code=sm_90a -I<repo> -o wgmma_rates wgmma_rates.cu
#include <cuda_fp8.h>
#include <cstdio>
#include <cstdint>
#include <vector>
#include <algorithm>
#include <cmath>
#include <cstring>
#include "kernels/flash3/flash3_gemm.cuh"

using namespace fa::flash3;
using E = __nv_fp8_e4m3;
#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("CUDA %s at %d\n", cudaGetErrorString(e_), __LINE__); return 1; } } while (0)

constexpr int kIters = 1024;
constexpr int kQ = 64 * 128, kK = 256 * 128, kVt = 128 * 256;  // bytes per warpgroup's Q; K and V^T shared
constexpr int kSmem = 2 * kQ + kK + kVt + 1024;

// Modes. 0: S = Q K^T, m64n256, 4 k32 steps, commit, wait 0. 1: S as two m64n128 halves in one group. 2: P V, RS
// m64n128, 8 k32 steps, wait 0. 3: S (halves) wait 0, then P V wait 0: the serial loop's GEMM work of one block.
// 4: P V with S's first half, wait 1, S's second half, wait 0 (the submitted loop). 5: a stream of m64n128 S halves on
// two accumulators in turn, at most two groups in flight (wait 1): the tensor core never waits for the issuer.
__host__ __device__ constexpr int tensor_cycles(int mode) { return mode == 3 || mode == 4 ? 1024 : mode == 5 ? 256 : 512; }

template <int MODE>
__global__ void __launch_bounds__(256, 1) rates(long long* cycles, float* sink, int wgs, uint32_t seed) {
  extern __shared__ unsigned char raw[];
  const uint32_t base = (ptx::smem_u32(raw) + 1023u) & ~1023u;
  for (int i = threadIdx.x; i < (kSmem - 1024) / 4; i += blockDim.x) {
    uint32_t h = (i * 2654435761u) ^ seed; h ^= h >> 13; h *= 0x5bd1e995u; h ^= h >> 15;
    asm volatile("st.shared.u32 [%0], %1;" ::"r"(base + 4 * i), "r"(h & 0x3f3f3f3fu));  // |x| < 2 e4m3
  }
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
  __syncthreads();
  const int wg = threadIdx.x / 128;
  if (wg >= wgs) return;
  const uint32_t q = base + wg * kQ, k = base + 2 * kQ, vt = k + kK;
  float s[128], o[64];
  uint32_t pr[8][4];
  for (int i = 0; i < 128; ++i) s[i] = 0.f;
  for (int i = 0; i < 64; ++i) o[i] = 0.f;
  for (int i = 0; i < 8; ++i) for (int j = 0; j < 4; ++j) pr[i][j] = (threadIdx.x * 77u + i * 13u + j) * 0x01010101u & 0x3f3f3f3fu;
  float (&h0)[64] = *reinterpret_cast<float(*)[64]>(s);
  float (&h1)[64] = *reinterpret_cast<float(*)[64]>(s + 64);
  auto half = [&](float (&acc)[64], int hh) { gemm_ss_kmajor<128, E, 128, 128, DescSteps::kRebuild>(acc, q, kQ, k + 128 * hh * 128, kK); };
  auto pv = [&] { gemm_rs_kmajor_e4m3<128, 256>(o, pr, vt, 128 * 128); };
  const long long t0 = clock64();
  for (int it = 0; it < kIters; ++it) {
    ptx::fence_regs(s); ptx::fence_regs(o);
    for (int i = 0; i < 8; ++i) ptx::fence_regs(pr[i]);
    ptx::wgmma_fence();
    if constexpr (MODE == 0) { gemm_ss_kmajor<256, E, 128, 128, DescSteps::kRebuild>(s, q, kQ, k, kK); ptx::wgmma_commit(); ptx::wgmma_wait<0>(); }
    if constexpr (MODE == 1) { half(h0, 0); half(h1, 1); ptx::wgmma_commit(); ptx::wgmma_wait<0>(); }
    if constexpr (MODE == 2) { pv(); ptx::wgmma_commit(); ptx::wgmma_wait<0>(); }
    if constexpr (MODE == 3) {
      half(h0, 0); half(h1, 1); ptx::wgmma_commit(); ptx::wgmma_wait<0>(); ptx::fence_regs(s);
      ptx::wgmma_fence(); pv(); ptx::wgmma_commit(); ptx::wgmma_wait<0>();
    }
    if constexpr (MODE == 4) {
      pv(); ptx::wgmma_commit(); half(h0, 0); ptx::wgmma_commit(); ptx::wgmma_wait<1>(); ptx::fence_regs(o);
      ptx::wgmma_fence(); half(h1, 1); ptx::wgmma_commit(); ptx::wgmma_wait<0>();
    }
    if constexpr (MODE == 5) {
      if (it % 2 == 0) half(h0, 0); else half(h1, 1);
      ptx::wgmma_commit(); ptx::wgmma_wait<1>();
    }
  }
  ptx::wgmma_wait<0>();
  ptx::fence_regs(s); ptx::fence_regs(o);
  const long long t1 = clock64();
  float acc = 0.f;
  for (int i = 0; i < 128; ++i) acc += s[i];
  for (int i = 0; i < 64; ++i) acc += o[i];
  if (acc == 1234.5f) sink[threadIdx.x] = acc;
  if (threadIdx.x % 128 == 0) cycles[blockIdx.x * 2 + wg] = t1 - t0;
}

// Check: S of warpgroup 0 once (mode 1's GEMMs), every thread's 128 accumulators written out, against the host.
__global__ void __launch_bounds__(256, 1) check_s(float* out, uint32_t seed) {
  extern __shared__ unsigned char raw[];
  const uint32_t base = (ptx::smem_u32(raw) + 1023u) & ~1023u;
  for (int i = threadIdx.x; i < (kSmem - 1024) / 4; i += blockDim.x) {
    uint32_t h = (i * 2654435761u) ^ seed; h ^= h >> 13; h *= 0x5bd1e995u; h ^= h >> 15;
    asm volatile("st.shared.u32 [%0], %1;" ::"r"(base + 4 * i), "r"(h & 0x3f3f3f3fu));
  }
  asm volatile("fence.proxy.async.shared::cta;" ::: "memory");
  __syncthreads();
  if (threadIdx.x >= 128) return;
  float s[128];
  for (int i = 0; i < 128; ++i) s[i] = 0.f;
  float (&h0)[64] = *reinterpret_cast<float(*)[64]>(s);
  float (&h1)[64] = *reinterpret_cast<float(*)[64]>(s + 64);
  const uint32_t q = base, k = base + 2 * kQ;
  ptx::fence_regs(s);
  ptx::wgmma_fence();
  gemm_ss_kmajor<128, E, 128, 128, DescSteps::kRebuild>(h0, q, kQ, k, kK);
  gemm_ss_kmajor<128, E, 128, 128, DescSteps::kRebuild>(h1, q, kQ, k + 128 * 128, kK);
  ptx::wgmma_commit(); ptx::wgmma_wait<0>(); ptx::fence_regs(s);
  for (int i = 0; i < 128; ++i) out[threadIdx.x * 128 + i] = s[i];
}

float e4m3(uint8_t b) {
  const int e = (b >> 3) & 15, m = b & 7;
  const float v = e == 0 ? m / 8.f * 0.015625f : (1 + m / 8.f) * ldexpf(1.f, e - 7);
  return (b & 128) ? -v : v;
}

int check(float* d) {
  const uint32_t seed = 777u;
  check_s<<<1, 256, kSmem>>>(d, seed);
  CK(cudaGetLastError()); CK(cudaDeviceSynchronize());
  std::vector<float> g(128 * 128);
  CK(cudaMemcpy(g.data(), d, g.size() * 4, cudaMemcpyDeviceToHost));
  std::vector<uint8_t> sm(kSmem);
  for (int i = 0; i < (kSmem - 1024) / 4; ++i) {
    uint32_t h = (i * 2654435761u) ^ seed; h ^= h >> 13; h *= 0x5bd1e995u; h ^= h >> 15; h &= 0x3f3f3f3fu;
    memcpy(&sm[4 * i], &h, 4);
  }
  auto at = [&](int off, int r, int c) { return e4m3(sm[off + r * 128 + (((c >> 4) ^ (r & 7)) << 4) + (c & 15)]); };
  double worst = 0;
  for (int tid = 0; tid < 128; ++tid)
    for (int j = 0; j < 128; ++j) {
      const int hh = j / 64, jj = j % 64, warp = tid / 32, lane = tid % 32;
      const int r = 16 * warp + lane / 4 + 8 * ((jj / 2) % 2), n = 128 * hh + 8 * (jj / 4) + 2 * (lane % 4) + jj % 2;
      double ref = 0;
      for (int c = 0; c < 128; ++c) ref += double(at(0, r, c)) * at(2 * kQ, n, c);
      worst = std::max(worst, std::fabs(ref - g[tid * 128 + j]) / (std::fabs(ref) + 1e-3));
    }
  printf("check S (two m64n128 halves): worst relative error %.3g\n", worst);
  return 0;
}

template <int MODE>
int run(int wgs, long long* dc, float* ds) {
  CK(cudaFuncSetAttribute(rates<MODE>, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmem));
  std::vector<long long> h(132 * 2);
  double best = 1e30;
  float best_ms = 1e30f;
  cudaEvent_t e0, e1;
  CK(cudaEventCreate(&e0)); CK(cudaEventCreate(&e1));
  for (int rep = 0; rep < 5; ++rep) {
    CK(cudaMemset(dc, 0, 132 * 2 * sizeof(long long)));
    CK(cudaEventRecord(e0));
    rates<MODE><<<132, 256, kSmem>>>(dc, ds, wgs, 12345u + rep);
    CK(cudaGetLastError());
    CK(cudaEventRecord(e1));
    CK(cudaDeviceSynchronize());
    float ms = 0.f;
    CK(cudaEventElapsedTime(&ms, e0, e1));
    best_ms = std::min(best_ms, ms);
    CK(cudaMemcpy(h.data(), dc, h.size() * sizeof(long long), cudaMemcpyDeviceToHost));
    std::vector<double> per;
    for (int b = 0; b < 132; ++b) per.push_back(static_cast<double>(std::max(h[2 * b], wgs > 1 ? h[2 * b + 1] : 0)));
    std::sort(per.begin(), per.end());
    best = std::min(best, per[66] / kIters);
  }
  // The whole launch (fill and all): MACs of every iteration over its time, a floor on the rate.
  const double macs = 132.0 * wgs * kIters * tensor_cycles(MODE) * 4096.0;
  printf("mode %d  warpgroups %d  cycles/iteration %8.1f  tensor share %5.1f %%  launch %.4f ms = %.0f TFLOP/s\n", MODE, wgs,
         best, 100.0 * tensor_cycles(MODE) * wgs / best, best_ms, 2 * macs / best_ms * 1e-9);
  return 0;
}

int main() {
  long long* dc; float* ds;
  CK(cudaMalloc(&dc, 132 * 2 * sizeof(long long)));
  CK(cudaMalloc(&ds, 128 * 128 * sizeof(float)));
  CK(cudaFuncSetAttribute(check_s, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmem));
  if (check(ds)) return 1;
  for (int wgs = 1; wgs <= 2; ++wgs) {
    if (run<0>(wgs, dc, ds) || run<1>(wgs, dc, ds) || run<2>(wgs, dc, ds) || run<3>(wgs, dc, ds) ||
        run<4>(wgs, dc, ds) || run<5>(wgs, dc, ds))
      return 1;
  }
  return 0;
}
