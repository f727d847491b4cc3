#pragma once
// The small element-wise kernels between the per-block flash launches of the ring: merging partial
// forward results by their logsumexp, accumulating partial gradients in float32, and converting the
// float32 accumulators to the output dtype. All enqueue on `stream` and work on compact [rows, D]
// arrays (a shard in bhnd order, rows = B * H * n). dtype: fp16 or bf16 (2-byte elements).
#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/dtype.hpp"

namespace fa::ring {

// Folds one block's partial forward result (o_step, lse_step: softmax over that block's keys only)
// into the accumulator (o_acc, lse_acc: softmax over the keys merged so far), per row:
//   lse_new = log(exp(lse_acc) + exp(lse_step)),
//   o_acc   = o_acc * exp(lse_acc - lse_new) + o_step * exp(lse_step - lse_new).
// A row with -inf on one side takes the other side unchanged; -inf on both stays -inf with O = 0.
// first: the accumulator holds nothing yet and is initialised from the block (o_acc = o_step).
void merge_partial(float* o_acc, float* lse_acc, const void* o_step, const float* lse_step, std::int64_t rows,
                   std::int64_t head_dim, DType dtype, bool first, cudaStream_t stream);

// acc += step (acc = step when first), `count` elements, count % 4 == 0.
void accumulate(float* acc, const void* step, std::int64_t count, DType dtype, bool first, cudaStream_t stream);

// dst = src rounded to dtype (round to nearest even), `count` elements, count % 4 == 0.
void convert_to_dtype(void* dst, const float* src, std::int64_t count, DType dtype, cudaStream_t stream);

}  // namespace fa::ring
