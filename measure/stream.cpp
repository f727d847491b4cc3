#include "measure/stream.hpp"

#if FA_HAS_CUDA
#include <cuda_runtime_api.h>

#include "core/cuda_check.hpp"
#endif

namespace fa {

StreamHandle::StreamHandle(bool cuda) {
#if FA_HAS_CUDA
  if (cuda) {
    cudaStream_t s = nullptr;
    FA_CUDA_CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    stream_ = s;
  }
#else
  (void)cuda;
#endif
}

StreamHandle::~StreamHandle() {
#if FA_HAS_CUDA
  if (stream_) cudaStreamDestroy(static_cast<cudaStream_t>(stream_));
#endif
}

void StreamHandle::synchronize() const {
#if FA_HAS_CUDA
  if (stream_) FA_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream_)));
#endif
}

}  // namespace fa
