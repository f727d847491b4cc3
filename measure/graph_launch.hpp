#pragma once
// One invocation of a point captured into a CUDA graph, for hot-mode timing without launch gaps
// between the kernels of a multi-kernel pass (e.g. GEMM, softmax, GEMM).
#include <functional>
#include <string>

namespace fa {

class GraphLaunch {
 public:
  GraphLaunch() = default;
  ~GraphLaunch();
  GraphLaunch(const GraphLaunch&) = delete;
  GraphLaunch& operator=(const GraphLaunch&) = delete;

  // Captures `enqueue` on `stream`; false (with the reason) when the work cannot be captured, e.g.
  // a kernel that synchronises or allocates inside run().
  bool capture(void* stream, const std::function<void()>& enqueue, std::string* why);
  void launch(void* stream);

 private:
  void* graph_ = nullptr;  // cudaGraph_t
  void* exec_ = nullptr;   // cudaGraphExec_t
};

}  // namespace fa
