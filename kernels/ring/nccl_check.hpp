#pragma once
// Return-code check for NCCL calls, the counterpart of FA_CUDA_CHECK (core/cuda_check.hpp): a failed
// call throws std::runtime_error naming the call, NCCL's description of the code, NCCL's last error
// message (which says which peer or transport failed) and the location. The harness turns it into
// an `error` row.
#include <nccl.h>

#include <stdexcept>
#include <string>

namespace fa::ring {

[[noreturn]] inline void throw_nccl(ncclResult_t r, const char* call, const char* file, int line) {
  std::string what = std::string(call) + " failed: " + ncclGetErrorString(r);
  if (const char* last = ncclGetLastError(nullptr); last != nullptr && last[0] != '\0') what += std::string(" (") + last + ")";
  throw std::runtime_error(what + " at " + file + ":" + std::to_string(line));
}

}  // namespace fa::ring

#define FA_NCCL_CHECK(call)                                                          \
  do {                                                                               \
    ncclResult_t fa_nccl_rc_ = (call);                                               \
    if (fa_nccl_rc_ != ncclSuccess) ::fa::ring::throw_nccl(fa_nccl_rc_, #call, __FILE__, __LINE__); \
  } while (0)
