#include "kernels/standard/batched_gemm.hpp"

#include <climits>
#include <stdexcept>

#include "kernels/standard/cublas_check.hpp"

namespace fa::standard {
namespace {

cudaDataType cuda_type(DType d) {
  switch (d) {
    case DType::fp32: return CUDA_R_32F;
    case DType::fp16: return CUDA_R_16F;
    case DType::bf16: return CUDA_R_16BF;
  }
  return CUDA_R_32F;
}

int to_int(std::int64_t v, const char* what) {
  if (v < 0 || v > INT_MAX) throw std::invalid_argument(std::string("batched_gemm: ") + what + " exceeds int");
  return static_cast<int>(v);
}

const char* byte_ptr(const void* p, std::int64_t elements, std::size_t elem_bytes) {
  return static_cast<const char*>(p) + elements * static_cast<std::int64_t>(elem_bytes);
}

}  // namespace

void batched_gemm(cublasHandle_t handle, DType dtype, const GemmShape& s, float alpha, const MatRef& a,
                  const MatRef& b, const MatRef& c, std::int64_t batch, std::int64_t heads) {
  const cudaDataType t = cuda_type(dtype);
  const std::size_t eb = dtype_bytes(dtype);
  const float beta = 0.0f;
  // Column-major view: C^T (N x M) = op(B)^T (N x K) * op(A)^T (K x M).
  const cublasOperation_t op_first = s.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t op_second = s.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const int m = to_int(s.n, "n"), n = to_int(s.m, "m"), k = to_int(s.k, "k");
  const int ld_first = to_int(b.ld, "ldb"), ld_second = to_int(a.ld, "lda"), ldc = to_int(c.ld, "ldc");

  // Which dim goes into cuBLAS's batch and which into a host loop.
  const bool fused = a.stride_b == heads * a.stride_h && b.stride_b == heads * b.stride_h &&
                     c.stride_b == heads * c.stride_h;
  std::int64_t inner_count, outer_count;
  std::int64_t sa_in, sb_in, sc_in, sa_out, sb_out, sc_out;
  if (fused) {
    inner_count = batch * heads, outer_count = 1;
    sa_in = a.stride_h, sb_in = b.stride_h, sc_in = c.stride_h;
    sa_out = sb_out = sc_out = 0;
  } else if (heads >= batch) {
    inner_count = heads, outer_count = batch;
    sa_in = a.stride_h, sb_in = b.stride_h, sc_in = c.stride_h;
    sa_out = a.stride_b, sb_out = b.stride_b, sc_out = c.stride_b;
  } else {
    inner_count = batch, outer_count = heads;
    sa_in = a.stride_b, sb_in = b.stride_b, sc_in = c.stride_b;
    sa_out = a.stride_h, sb_out = b.stride_h, sc_out = c.stride_h;
  }
  const int count = to_int(inner_count, "batch count");
  for (std::int64_t o = 0; o < outer_count; ++o) {
    FA_CUBLAS_CHECK(cublasGemmStridedBatchedEx(
        handle, op_first, op_second, m, n, k, &alpha, byte_ptr(b.data, o * sb_out, eb), t, ld_first, sb_in,
        byte_ptr(a.data, o * sa_out, eb), t, ld_second, sa_in, &beta,
        const_cast<char*>(byte_ptr(c.data, o * sc_out, eb)), t, ldc, sc_in, count, CUBLAS_COMPUTE_32F,
        CUBLAS_GEMM_DEFAULT));
  }
}

}  // namespace fa::standard
