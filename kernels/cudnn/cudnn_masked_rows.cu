// Small kernels for the query rows cuDNN is not given (cudnn_masked_rows.hpp). They touch
// B*H*skipped*D elements and B*H*Nq floats: negligible next to the attention itself.
#include "kernels/cudnn/cudnn_masked_rows.hpp"

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>

#include "core/cuda_check.hpp"
#include "kernels/cudnn/cudnn_launch.cuh"

namespace fa::cudnn {
namespace {

// Grid-stride loops: the element counts can exceed one launch's grid.
__global__ void zero_rows_kernel(std::uint16_t* t, std::int64_t sb, std::int64_t sh, std::int64_t sn,
                                 std::int64_t d, std::int64_t heads, std::int64_t skipped, std::int64_t total) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < total;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    const BhrIndex x = split_bhr(i, d, skipped, heads);
    t[x.b * sb + x.h * sh + x.row * sn + x.inner] = 0;
  }
}

__global__ void stats_to_lse_kernel(const float* stats, float* lse, std::int64_t nq, std::int64_t skipped,
                                    std::int64_t total) {
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < total;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    const std::int64_t row = i % nq, bh = i / nq;
    lse[i] = row < skipped ? -INFINITY : stats[bh * (nq - skipped) + row - skipped];
  }
}

__global__ void lse_to_stats_kernel(const float* lse, float* stats, std::int64_t nq, std::int64_t skipped,
                                    std::int64_t total) {
  const std::int64_t kept = nq - skipped;
  for (std::int64_t i = blockIdx.x * std::int64_t{blockDim.x} + threadIdx.x; i < total;
       i += std::int64_t{gridDim.x} * blockDim.x) {
    const std::int64_t row = i % kept, bh = i / kept;
    stats[i] = lse[bh * nq + skipped + row];
  }
}

}  // namespace

void zero_skipped_rows(void* t, const Strides4& s, std::int64_t head_dim, const RowSpan& r, void* stream) {
  const std::int64_t total = r.batch * r.heads * r.skipped * head_dim;
  if (total == 0) return;
  zero_rows_kernel<<<blocks_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(
      static_cast<std::uint16_t*>(t), s.b, s.h, s.n, head_dim, r.heads, r.skipped, total);
  FA_CUDA_CHECK_LAUNCH();
}

void stats_to_lse(const float* stats, float* lse, const RowSpan& r, void* stream) {
  const std::int64_t total = r.batch * r.heads * r.seqlen_q;
  stats_to_lse_kernel<<<blocks_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(stats, lse, r.seqlen_q,
                                                                                            r.skipped, total);
  FA_CUDA_CHECK_LAUNCH();
}

void lse_to_stats(const float* lse, float* stats, const RowSpan& r, void* stream) {
  const std::int64_t total = r.batch * r.heads * (r.seqlen_q - r.skipped);
  lse_to_stats_kernel<<<blocks_for(total), kThreads, 0, static_cast<cudaStream_t>(stream)>>>(lse, stats, r.seqlen_q,
                                                                                            r.skipped, total);
  FA_CUDA_CHECK_LAUNCH();
}

}  // namespace fa::cudnn
