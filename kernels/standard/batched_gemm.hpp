#pragma once
// Row-major attention matmuls over [B, H] batches of strided matrices, expressed as cuBLAS
// column-major strided-batched GEMMs (cublasGemmStridedBatchedEx, fp32 accumulation).
//
// A row-major R x C matrix with row stride ld is, to cuBLAS, the column-major C x R matrix (its
// transpose) with leading dimension ld; so C = A * B (row-major) is issued as C^T = B^T * A^T.
#include <cublas_v2.h>

#include <cstdint>

#include "core/dtype.hpp"

namespace fa::standard {

// One operand: base pointer, row stride, and strides between batches and heads (elements).
struct MatRef {
  const void* data = nullptr;
  std::int64_t ld = 0;
  std::int64_t stride_b = 0, stride_h = 0;
};

// C[M x N] = alpha * op(A) * op(B) with row-major operands: op(A) is M x K (A stored K x M when
// trans_a), op(B) is K x N (B stored N x K when trans_b). C is overwritten (beta = 0).
// Batched over batch x heads; when every operand's batch stride is heads x its head stride, one
// cuBLAS call covers all B*H matrices, else one call per index of the smaller of the two dims
// (the bnhd layout) batched over the larger.
struct GemmShape {
  std::int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
};
void batched_gemm(cublasHandle_t handle, DType dtype, const GemmShape& shape, float alpha, const MatRef& a,
                  const MatRef& b, const MatRef& c, std::int64_t batch, std::int64_t heads);

}  // namespace fa::standard
