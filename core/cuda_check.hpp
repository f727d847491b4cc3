#pragma once
// Return-code checks for CUDA runtime and cuBLAS calls. A failed call throws fa::CudaError with the
// call text and location; the harness turns it into an `error` row (or `oom` for allocation).
#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace fa {

struct CudaError : std::runtime_error {
  cudaError_t code;
  CudaError(cudaError_t c, const std::string& what) : std::runtime_error(what), code(c) {}
};

[[noreturn]] inline void throw_cuda(cudaError_t e, const char* call, const char* file, int line) {
  throw CudaError(e, std::string(call) + " failed: " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) +
                         ") at " + file + ":" + std::to_string(line));
}

}  // namespace fa

#define FA_CUDA_CHECK(call)                                                \
  do {                                                                     \
    cudaError_t fa_err_ = (call);                                          \
    if (fa_err_ != cudaSuccess) ::fa::throw_cuda(fa_err_, #call, __FILE__, __LINE__); \
  } while (0)

// After a kernel launch: catches bad launch configurations immediately.
#define FA_CUDA_CHECK_LAUNCH() FA_CUDA_CHECK(cudaGetLastError())
