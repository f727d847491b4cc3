#pragma once
// The small element-wise kernels between the per-block flash launches of the ring: merging partial
// forward results by their logsumexp, accumulating partial gradients in float32, and converting the
// float32 accumulators to the output dtype. All enqueue on `stream` and work on compact [rows, D]
// arrays (a shard in bhnd order, rows = B * H * n). dtype: fp16 or bf16 (2-byte elements).
#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/dtype.hpp"

namespace fa::ring {

// Which rows of a [groups, group_rows, D] accumulator a partial result covers: rows [first, first +
// rows) of every group (a group is one (b, h) pair of the shard, group_rows = n). The partial result
// itself is compact: [groups, rows, D]. A ring step whose flash launch covers only part of the query
// (or key) shard (zigzag sharding, ring_sharding.hpp) writes such a compact partial result.
struct RowWindow {
  std::int64_t groups = 0, group_rows = 0, first = 0, rows = 0;
  static RowWindow all(std::int64_t groups, std::int64_t group_rows) { return {groups, group_rows, 0, group_rows}; }
  bool is_all() const { return first == 0 && rows == group_rows; }
};

// Folds one block's partial forward result (o_step, lse_step: softmax over that block's keys only;
// compact over the window's rows) into the accumulator rows of the window (o_acc, lse_acc: softmax
// over the keys merged so far), per row:
//   lse_new = log(exp(lse_acc) + exp(lse_step)),
//   o_acc   = o_acc * exp(lse_acc - lse_new) + o_step * exp(lse_step - lse_new).
// A row with -inf on one side takes the other side unchanged; -inf on both stays -inf with O = 0.
// Rows outside the window are left alone.
// first: the accumulator holds nothing yet and is initialised from the block (o_acc = o_step); the
// window must then be all rows (throws std::logic_error otherwise).
void merge_partial(float* o_acc, float* lse_acc, const void* o_step, const float* lse_step, const RowWindow& window,
                   std::int64_t head_dim, DType dtype, bool first, cudaStream_t stream);

// acc[window rows] += step (= step when first, which needs the whole window): `step` is compact
// [window.groups, window.rows, row_length], acc is [window.groups, window.group_rows, row_length].
// row_length % 4 == 0.
void accumulate(float* acc, const void* step, const RowWindow& window, std::int64_t row_length, DType dtype,
                bool first, cudaStream_t stream);

// dst = src rounded to dtype (round to nearest even), `count` elements, count % 4 == 0.
void convert_to_dtype(void* dst, const float* src, std::int64_t count, DType dtype, cudaStream_t stream);

}  // namespace fa::ring
