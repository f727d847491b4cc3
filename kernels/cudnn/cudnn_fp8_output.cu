// The e4m3 O of cuDNN's fp8 forward converted to the harness's bf16 O (cudnn_fp8_output.hpp).
#include "kernels/cudnn/cudnn_fp8_output.hpp"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/cuda_check.hpp"
#include "kernels/cudnn/cudnn_launch.cuh"

namespace fa::cudnn {
namespace {

constexpr int kPerThread = 8;  // elements: an 8-byte load, a 16-byte store (head_dim is a multiple of 8)

// Two e4m3 values (one 16-bit word) to two bf16 values times descale, packed in 32 bits. e4m3 -> half is
// exact, and so is the product (descale: a power of two) once rounded to bf16.
__device__ std::uint32_t e4m3x2_to_bf16x2(std::uint16_t pair, float descale) {
  const __half2 h = __half2(__nv_cvt_fp8x2_to_halfraw2(static_cast<__nv_fp8x2_storage_t>(pair), __NV_E4M3));
  const float2 f = __half22float2(h);
  const __nv_bfloat162 b = __floats2bfloat162_rn(f.x * descale, f.y * descale);
  return *reinterpret_cast<const std::uint32_t*>(&b);
}

// src: contiguous [B, H, rows, D] e4m3; dst: bf16 with strides (elements) sb, sh, sn. Grid-stride over
// groups of 8 elements of one row. aligned16: dst and its strides allow one 16-byte store per group.
__global__ void fp8_o_to_bf16_kernel(const uint2* src, __nv_bfloat16* dst, std::int64_t sb, std::int64_t sh,
                                     std::int64_t sn, std::int64_t groups_per_row, std::int64_t heads,
                                     std::int64_t rows, std::int64_t total, float descale, bool aligned16) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < total;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    const BhrIndex x = split_bhr(i, groups_per_row, rows, heads);
    const uint2 in = src[i];
    uint4 out;
    out.x = e4m3x2_to_bf16x2(static_cast<std::uint16_t>(in.x), descale);
    out.y = e4m3x2_to_bf16x2(static_cast<std::uint16_t>(in.x >> 16), descale);
    out.z = e4m3x2_to_bf16x2(static_cast<std::uint16_t>(in.y), descale);
    out.w = e4m3x2_to_bf16x2(static_cast<std::uint16_t>(in.y >> 16), descale);
    __nv_bfloat16* p = dst + x.b * sb + x.h * sh + x.row * sn + x.inner * kPerThread;
    if (aligned16) {
      *reinterpret_cast<uint4*>(p) = out;
    } else {
      const auto* e = reinterpret_cast<const __nv_bfloat16*>(&out);
      for (int j = 0; j < kPerThread; ++j) p[j] = e[j];
    }
  }
}

}  // namespace

void fp8_o_to_bf16(const void* src, void* dst, const Strides4& s, const Geometry& g, float descale, void* stream) {
  const std::int64_t groups_per_row = g.head_dim / kPerThread;  // static_support: head_dim % 8 == 0
  const std::int64_t total = g.batch * g.heads * g.seqlen_q_cudnn * groups_per_row;
  if (total == 0) return;
  const bool aligned16 = reinterpret_cast<std::uintptr_t>(dst) % 16 == 0 && s.b % kPerThread == 0 &&
                         s.h % kPerThread == 0 && s.n % kPerThread == 0;
  fp8_o_to_bf16_kernel<<<blocks_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      static_cast<const uint2*>(src), static_cast<__nv_bfloat16*>(dst), s.b, s.h, s.n, groups_per_row, g.heads,
      g.seqlen_q_cudnn, total, descale, aligned16);
  FA_CUDA_CHECK_LAUNCH();
}

}  // namespace fa::cudnn
