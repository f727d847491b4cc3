// One-off (session 19): issue rates of the softmax's instructions on one SM sub-partition, to find which pipe the
// fp8 forward's exponential turn waits on. Each kernel runs W warps per SM (1 block per SM), each thread a loop of
// independent chains of one instruction mix; the result is warp-instructions per cycle per SM, from clock64 around
// the loop (the slowest warp of the block). Build: nvcc -O3 -arch=sm_90a -o pipe_rates pipe_rates.cu
#include <cstdio>
#include <cstdint>
#include <cuda_runtime.h>

#define CK(x) do { cudaError_t e_ = (x); if (e_ != cudaSuccess) { printf("CUDA %s at %d\n", cudaGetErrorString(e_), __LINE__); return 1; } } while (0)

constexpr int kIters = 256;
constexpr int kChains = 8;

__device__ __forceinline__ float ex2f(float x) { float y; asm volatile("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x)); return y; }
__device__ __forceinline__ uint32_t ex2h2(uint32_t x) { uint32_t y; asm volatile("ex2.approx.f16x2 %0, %1;" : "=r"(y) : "r"(x)); return y; }
__device__ __forceinline__ uint32_t ex2b2(uint32_t x) { uint32_t y; asm volatile("ex2.approx.ftz.bf16x2 %0, %1;" : "=r"(y) : "r"(x)); return y; }
__device__ __forceinline__ uint32_t cvt_e4m3x2(float a, float b) {
  uint16_t d; asm volatile("cvt.rn.satfinite.e4m3x2.f32 %0, %1, %2;" : "=h"(d) : "f"(a), "f"(b)); return d; }
__device__ __forceinline__ uint32_t cvt_f16x2(float a, float b) {
  uint32_t d; asm volatile("cvt.rn.f16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(a), "f"(b)); return d; }
__device__ __forceinline__ uint32_t cvt_bf16x2(float a, float b) {
  uint32_t d; asm volatile("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(d) : "f"(a), "f"(b)); return d; }
__device__ __forceinline__ uint32_t cvt_e4m3x2_h2(uint32_t a) {
  uint16_t d; asm volatile("cvt.rn.satfinite.e4m3x2.f16x2 %0, %1;" : "=h"(d) : "r"(a)); return d; }
__device__ __forceinline__ float fmax_(float a, float b) { float y; asm volatile("max.f32 %0, %1, %2;" : "=f"(y) : "f"(a), "f"(b)); return y; }
__device__ __forceinline__ float fadd_(float a, float b) { float y; asm volatile("add.f32 %0, %1, %2;" : "=f"(y) : "f"(a), "f"(b)); return y; }

// MODE: 0 ex2.f32, 1 ex2.f16x2, 2 ex2.bf16x2, 3 cvt e4m3x2.f32, 4 cvt f16x2.f32, 5 cvt bf16x2.f32,
// 6 cvt e4m3x2.f16x2 (3-5 with an add.f32 per cvt to vary the input, 6 an integer add), 7 mix 2 ex2.f32 + 1 cvt e4m3x2, 8 max.f32, 9 add.f32, 10 mix 2 ex2 + 1 cvt f16x2,
// 11 the softmax mix per 2 elements: 2 ffma, 2 ex2, 2 fadd, 1 cvt e4m3x2
template <int MODE>
__global__ void rates(long long* cycles, uint32_t* sink, float seed) {
  float f[kChains]; uint32_t u[kChains]; uint32_t acc = 0;
  for (int c = 0; c < kChains; ++c) { f[c] = seed * (c + 1) * 1e-3f; u[c] = (0x3800u + 3 * c) << 16 | (0x3c00u + c); }  // halves differ: no half is shared between chains
  __syncthreads();
  const long long t0 = clock64();
  for (int i = 0; i < kIters; ++i) {
#pragma unroll
    for (int c = 0; c < kChains; ++c) {
      if constexpr (MODE == 0) f[c] = ex2f(f[c]);
      if constexpr (MODE == 1) u[c] = ex2h2(u[c]);
      if constexpr (MODE == 2) u[c] = ex2b2(u[c]);
      if constexpr (MODE >= 3 && MODE <= 5) f[c] = fadd_(f[c], 1.0f);
      if constexpr (MODE == 3) acc ^= cvt_e4m3x2(f[c], f[(c + 1) % kChains]);
      if constexpr (MODE == 4) acc ^= cvt_f16x2(f[c], f[(c + 1) % kChains]);
      if constexpr (MODE == 5) acc ^= cvt_bf16x2(f[c], f[(c + 1) % kChains]);
      if constexpr (MODE == 6) { u[c] += 0x00010001u; acc ^= cvt_e4m3x2_h2(u[c]); }
      if constexpr (MODE == 7) { f[c] = ex2f(f[c]); u[c] = __float_as_uint(ex2f(__uint_as_float(u[c]))); acc ^= cvt_e4m3x2(f[c], __uint_as_float(u[c])); }
      if constexpr (MODE == 8) f[c] = fmax_(f[c], f[(c + 3) % kChains]);
      if constexpr (MODE == 9) f[c] = fadd_(f[c], 1.0f);
      if constexpr (MODE == 10) { f[c] = ex2f(f[c]); u[c] = __float_as_uint(ex2f(__uint_as_float(u[c]))); acc ^= cvt_f16x2(f[c], __uint_as_float(u[c])); }
      if constexpr (MODE == 11) {
        const float a = ex2f(fmaf(f[c], 1.0001f, -0.5f)), b = ex2f(fmaf(__uint_as_float(u[c]), 1.0001f, -0.5f));
        f[c] = fadd_(f[c], a); u[c] = __float_as_uint(fadd_(__uint_as_float(u[c]), b)); acc ^= cvt_e4m3x2(a, b);
      }
    }
  }
  const long long t1 = clock64();
  uint32_t s = acc;
  for (int c = 0; c < kChains; ++c) s ^= u[c] ^ __float_as_uint(f[c]);
  sink[blockIdx.x * blockDim.x + threadIdx.x] = s;
  __shared__ long long mx;
  if (threadIdx.x == 0) mx = 0;
  __syncthreads();
  atomicMax(reinterpret_cast<unsigned long long*>(&mx), static_cast<unsigned long long>(t1 - t0));
  __syncthreads();
  if (threadIdx.x == 0) cycles[blockIdx.x] = mx;
}

template <int MODE>
int run(const char* name, double instr_per_iter_chain, int sms, long long* d_cyc, uint32_t* d_sink) {
  for (int warps : {4, 8, 16}) {
    rates<MODE><<<sms, 32 * warps>>>(d_cyc, d_sink, 1.0f);
    CK(cudaGetLastError());
    CK(cudaDeviceSynchronize());
    rates<MODE><<<sms, 32 * warps>>>(d_cyc, d_sink, 1.0f);
    CK(cudaGetLastError());
    long long cyc[1024];
    CK(cudaMemcpy(cyc, d_cyc, sms * sizeof(long long), cudaMemcpyDeviceToHost));
    double mean = 0;
    for (int i = 0; i < sms; ++i) mean += cyc[i];
    mean /= sms;
    const double warp_instr = double(warps) * kIters * kChains * instr_per_iter_chain;
    printf("%-34s warps/SM %2d  cycles %8.0f  warp-instr/clk/SM %.3f  (lanes/clk/SM %.1f)\n", name, warps, mean,
           warp_instr / mean, 32 * warp_instr / mean);
  }
  return 0;
}

int main() {
  int sms = 0;
  CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, 0));
  long long* d_cyc; uint32_t* d_sink;
  CK(cudaMalloc(&d_cyc, 1024 * sizeof(long long)));
  CK(cudaMalloc(&d_sink, 1024 * 1024 * sizeof(uint32_t)));
  int rc = 0;
  rc |= run<0>("ex2.approx.ftz.f32", 1, sms, d_cyc, d_sink);
  rc |= run<1>("ex2.approx.f16x2 (per instr)", 1, sms, d_cyc, d_sink);
  rc |= run<2>("ex2.approx.ftz.bf16x2 (per instr)", 1, sms, d_cyc, d_sink);
  rc |= run<3>("cvt e4m3x2.f32 (+xor)", 1, sms, d_cyc, d_sink);
  rc |= run<4>("cvt f16x2.f32 (+xor)", 1, sms, d_cyc, d_sink);
  rc |= run<5>("cvt bf16x2.f32 (+xor)", 1, sms, d_cyc, d_sink);
  rc |= run<6>("cvt e4m3x2.f16x2 (+xor,+add)", 1, sms, d_cyc, d_sink);
  rc |= run<7>("mix: 2 ex2.f32 + 1 cvt e4m3x2 (per ex2)", 2, sms, d_cyc, d_sink);
  rc |= run<10>("mix: 2 ex2.f32 + 1 cvt f16x2 (per ex2)", 2, sms, d_cyc, d_sink);
  rc |= run<8>("max.f32", 1, sms, d_cyc, d_sink);
  rc |= run<9>("add.f32", 1, sms, d_cyc, d_sink);
  rc |= run<11>("softmax mix (per ex2)", 2, sms, d_cyc, d_sink);
  return rc;
}
