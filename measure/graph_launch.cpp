#include "measure/graph_launch.hpp"

#include <exception>

#if FA_HAS_CUDA
#include <cuda_runtime_api.h>

#include "core/cuda_check.hpp"
#endif

namespace fa {

GraphLaunch::~GraphLaunch() {
#if FA_HAS_CUDA
  if (exec_) cudaGraphExecDestroy(static_cast<cudaGraphExec_t>(exec_));
  if (graph_) cudaGraphDestroy(static_cast<cudaGraph_t>(graph_));
#endif
}

bool GraphLaunch::capture(void* stream, const std::function<void()>& enqueue, std::string* why) {
#if FA_HAS_CUDA
  auto s = static_cast<cudaStream_t>(stream);
  cudaError_t e = cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal);
  if (e != cudaSuccess) {
    *why = cudaGetErrorString(e);
    return false;
  }
  try {
    enqueue();
  } catch (const std::exception& ex) {
    cudaGraph_t g = nullptr;
    (void)cudaStreamEndCapture(s, &g);
    if (g) cudaGraphDestroy(g);
    (void)cudaGetLastError();
    *why = ex.what();
    return false;
  }
  cudaGraph_t g = nullptr;
  e = cudaStreamEndCapture(s, &g);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    *why = cudaGetErrorString(e);
    return false;
  }
  graph_ = g;
  cudaGraphExec_t x = nullptr;
  e = cudaGraphInstantiate(&x, g, 0);
  if (e != cudaSuccess) {
    (void)cudaGetLastError();
    *why = cudaGetErrorString(e);
    return false;
  }
  exec_ = x;
  return true;
#else
  (void)stream;
  (void)enqueue;
  *why = "no CUDA in this build";
  return false;
#endif
}

void GraphLaunch::launch(void* stream) {
#if FA_HAS_CUDA
  FA_CUDA_CHECK(cudaGraphLaunch(static_cast<cudaGraphExec_t>(exec_), static_cast<cudaStream_t>(stream)));
#else
  (void)stream;
#endif
}

}  // namespace fa
