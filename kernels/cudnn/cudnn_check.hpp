#pragma once
// Return-code check for cuDNN calls (the frontend's graph calls return error objects instead, checked
// in cudnn_graphs.cpp). A failed call throws fa::CudnnError with the call, cuDNN's status name and
// its last error message; the harness turns it into an `error` row.
#include <cudnn.h>

#include <stdexcept>
#include <string>

namespace fa::cudnn {

struct CudnnError : std::runtime_error {
  cudnnStatus_t code;
  CudnnError(cudnnStatus_t c, const std::string& what) : std::runtime_error(what), code(c) {}
};

[[noreturn]] inline void throw_cudnn(cudnnStatus_t s, const char* call, const char* file, int line) {
  char detail[512] = {};
  cudnnGetLastErrorString(detail, sizeof detail);
  throw CudnnError(s, std::string(call) + " failed: " + cudnnGetErrorString(s) + (detail[0] ? " (" : "") + detail +
                          (detail[0] ? ")" : "") + " at " + file + ":" + std::to_string(line));
}

}  // namespace fa::cudnn

#define FA_CUDNN_CHECK(call)                                                            \
  do {                                                                                  \
    cudnnStatus_t fa_cudnn_status_ = (call);                                            \
    if (fa_cudnn_status_ != CUDNN_STATUS_SUCCESS)                                       \
      ::fa::cudnn::throw_cudnn(fa_cudnn_status_, #call, __FILE__, __LINE__);            \
  } while (0)
