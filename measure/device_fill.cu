#include <cuda_runtime_api.h>

#include <cmath>

#include "core/cuda_check.hpp"
#include "core/philox.hpp"
#include "measure/device_fill.hpp"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>

namespace fa {
namespace {

// Box-Muller on two Philox words per pair of outputs.
__device__ float2 normal_pair(std::uint64_t seed, std::uint64_t i) {
  const Philox4 r = philox4x32_10(Philox4{static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i >> 32), 0x6a09e667u, 0},
                                  static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
  const float u1 = (static_cast<float>(r.x >> 8) + 1.0f) * (1.0f / 16777216.0f);  // (0, 1]
  const float u2 = static_cast<float>(r.y >> 8) * (1.0f / 16777216.0f);
  const float rad = sqrtf(-2.0f * logf(u1));
  float s, c;
  sincospif(2.0f * u2, &s, &c);
  return make_float2(rad * c, rad * s);
}

template <class T>
__device__ T from_float(float x);
template <>
__device__ float from_float<float>(float x) { return x; }
template <>
__device__ __half from_float<__half>(float x) { return __float2half_rn(x); }
template <>
__device__ __nv_bfloat16 from_float<__nv_bfloat16>(float x) { return __float2bfloat16_rn(x); }
template <>
__device__ __nv_fp8_e4m3 from_float<__nv_fp8_e4m3>(float x) { return __nv_fp8_e4m3(x); }  // RN, saturating

template <class T>
__global__ void fill_normal_kernel(T* out, std::int64_t n, std::uint64_t seed, float stddev) {
  const std::int64_t stride = static_cast<std::int64_t>(gridDim.x) * blockDim.x;
  for (std::int64_t pair = static_cast<std::int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; 2 * pair < n;
       pair += stride) {
    const float2 z = normal_pair(seed, static_cast<std::uint64_t>(pair));
    out[2 * pair] = from_float<T>(z.x * stddev);
    if (2 * pair + 1 < n) out[2 * pair + 1] = from_float<T>(z.y * stddev);
  }
}

template <class T>
void launch(void* ptr, std::int64_t n, std::uint64_t seed, float stddev, cudaStream_t s) {
  const std::int64_t pairs = (n + 1) / 2;
  const int threads = 256;
  const int blocks = static_cast<int>(std::min<std::int64_t>((pairs + threads - 1) / threads, 65536));
  fill_normal_kernel<T><<<blocks, threads, 0, s>>>(static_cast<T*>(ptr), n, seed, stddev);
  FA_CUDA_CHECK_LAUNCH();
}

}  // namespace

void device_fill_normal(void* ptr, DType d, std::int64_t n, std::uint64_t seed, float stddev, void* stream) {
  if (n <= 0) return;
  auto s = static_cast<cudaStream_t>(stream);
  switch (d) {
    case DType::fp32: launch<float>(ptr, n, seed, stddev, s); break;
    case DType::fp16: launch<__half>(ptr, n, seed, stddev, s); break;
    case DType::bf16: launch<__nv_bfloat16>(ptr, n, seed, stddev, s); break;
    case DType::fp8: launch<__nv_fp8_e4m3>(ptr, n, seed, stddev, s); break;
  }
}

}  // namespace fa
