#pragma once
// Moving a sequence shard between the harness's full tensors and the ring's compact per-GPU copies.
// A shard (rows [first, first + n) of every (b, h)) is strided in both layouts: in bhnd it is B * H
// runs of n * D elements, in bnhd B runs of n * H * D. The ring keeps every shard compact in bhnd
// order ([B, H, n, D], strides H*n*D, n*D, D) so NCCL can move it as one buffer and flash reads it
// with dense strides; these kernels do the strided side on the device that holds both ends.
#include <cuda_runtime_api.h>

#include <cstdint>

namespace fa::ring {

// A [B, H, n, D] view of 2-byte elements (fp16 / bf16). Strides in elements, all multiples of 8 and
// the base 16-byte aligned: the copy moves 16-byte vectors.
struct ShardView {
  void* data = nullptr;
  std::int64_t stride_b = 0, stride_h = 0, stride_n = 0;
};

struct ShardShape {
  std::int64_t batch = 0, heads = 0, rows = 0, head_dim = 0;  // rows: n, the shard's sequence length
};

// dst[b, h, i, :] = src[b, h, i, :] for every b < batch, h < heads, i < rows.
void copy_shard(const ShardView& dst, const ShardView& src, const ShardShape& shape, cudaStream_t stream);

// lse rows: dst[r * dst_ld + i] = src[r * src_ld + i] for r < rows, i < n (floats).
void copy_lse_rows(float* dst, std::int64_t dst_ld, const float* src, std::int64_t src_ld, std::int64_t rows,
                   std::int64_t n, cudaStream_t stream);

}  // namespace fa::ring
