#pragma once
// Return-code check for cuBLAS calls, the cuBLAS twin of FA_CUDA_CHECK (core/cuda_check.hpp).
// CublasError derives from fa::CudaError so the harness turns it into an `error` row the same way;
// an allocation failure inside cuBLAS carries cudaErrorMemoryAllocation so it can read as `oom`.
#include <cublas_v2.h>

#include <string>

#include "core/cuda_check.hpp"

namespace fa {

struct CublasError : CudaError {
  cublasStatus_t status;
  CublasError(cublasStatus_t s, const std::string& what)
      : CudaError(s == CUBLAS_STATUS_ALLOC_FAILED ? cudaErrorMemoryAllocation : cudaErrorUnknown, what),
        status(s) {}
};

[[noreturn]] inline void throw_cublas(cublasStatus_t s, const char* call, const char* file, int line) {
  throw CublasError(s, std::string(call) + " failed: " + cublasGetStatusName(s) + " (" +
                           cublasGetStatusString(s) + ") at " + file + ":" + std::to_string(line));
}

}  // namespace fa

#define FA_CUBLAS_CHECK(call)                                                          \
  do {                                                                                 \
    cublasStatus_t fa_status_ = (call);                                                \
    if (fa_status_ != CUBLAS_STATUS_SUCCESS) ::fa::throw_cublas(fa_status_, #call, __FILE__, __LINE__); \
  } while (0)
