// Strided <-> compact shard copies (shard_copy.hpp). 16-byte vectors along D; the (b, h, row, chunk)
// index is decomposed per vector, which is cheap next to the memory traffic.
#include "kernels/ring/shard_copy.hpp"

#include <cstdint>

#include "core/cuda_check.hpp"

namespace fa::ring {
namespace {

constexpr int kThreads = 256;
constexpr int kElemsPerVec = 8;  // 2-byte elements per 16-byte vector

unsigned blocks_for(std::int64_t work_items) {
  const std::int64_t b = (work_items + kThreads - 1) / kThreads;
  return static_cast<unsigned>(b < 65536 ? (b > 0 ? b : 1) : 65536);
}

// Strides here are in 16-byte vectors (element strides / 8).
__global__ void copy_shard_kernel(uint4* dst, std::int64_t db, std::int64_t dh, std::int64_t dn, const uint4* src,
                                  std::int64_t sb, std::int64_t sh, std::int64_t sn, std::int64_t heads,
                                  std::int64_t rows, std::int64_t vecs_per_row, std::int64_t total) {
  for (std::int64_t i = std::int64_t{blockIdx.x} * kThreads + threadIdx.x; i < total;
       i += std::int64_t{gridDim.x} * kThreads) {
    const std::int64_t c = i % vecs_per_row;
    std::int64_t rest = i / vecs_per_row;
    const std::int64_t row = rest % rows;
    rest /= rows;
    const std::int64_t h = rest % heads, b = rest / heads;
    dst[b * db + h * dh + row * dn + c] = src[b * sb + h * sh + row * sn + c];
  }
}

__global__ void copy_lse_kernel(float* dst, std::int64_t dst_ld, const float* src, std::int64_t src_ld, std::int64_t n,
                                std::int64_t total) {
  for (std::int64_t i = std::int64_t{blockIdx.x} * kThreads + threadIdx.x; i < total;
       i += std::int64_t{gridDim.x} * kThreads) {
    const std::int64_t r = i / n, c = i % n;
    dst[r * dst_ld + c] = src[r * src_ld + c];
  }
}

}  // namespace

void copy_shard(const ShardView& dst, const ShardView& src, const ShardShape& s, cudaStream_t stream) {
  const std::int64_t vecs = s.head_dim / kElemsPerVec;
  const std::int64_t total = s.batch * s.heads * s.rows * vecs;
  if (total == 0) return;
  copy_shard_kernel<<<blocks_for(total), kThreads, 0, stream>>>(
      static_cast<uint4*>(dst.data), dst.stride_b / kElemsPerVec, dst.stride_h / kElemsPerVec,
      dst.stride_n / kElemsPerVec, static_cast<const uint4*>(src.data), src.stride_b / kElemsPerVec,
      src.stride_h / kElemsPerVec, src.stride_n / kElemsPerVec, s.heads, s.rows, vecs, total);
  FA_CUDA_CHECK_LAUNCH();
}

void copy_lse_rows(float* dst, std::int64_t dst_ld, const float* src, std::int64_t src_ld, std::int64_t rows,
                   std::int64_t n, cudaStream_t stream) {
  const std::int64_t total = rows * n;
  if (total == 0) return;
  copy_lse_kernel<<<blocks_for(total), kThreads, 0, stream>>>(dst, dst_ld, src, src_ld, n, total);
  FA_CUDA_CHECK_LAUNCH();
}

}  // namespace fa::ring
