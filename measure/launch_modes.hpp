#pragma once
// How one invocation of a prepared point is launched while it is timed, one small piece per timing
// mode (the sampler around it does the timing and, in cold mode, the L2 flush):
//   plain_launch  run() of the prepared run: cold timing, and hot timing without --graph
//   graph_launch  hot timing with --graph: replays of one invocation captured in a CUDA graph, so a
//                 multi-kernel pass (e.g. GEMM, softmax, GEMM) runs without launch gaps
// Cold timing of operands that fit in L2 also rotates copies of them (measure/input_rotation.hpp).
#include <memory>
#include <string>

#include "core/kernel.hpp"
#include "measure/sampler.hpp"

namespace fa {

class InvocationLaunch {
 public:
  virtual ~InvocationLaunch() = default;
  // Enqueues one invocation (for host kernels, runs it).
  virtual void launch() = 0;
  // What the row's timing mode says of it ("cuda graph"); empty for plain launches.
  const std::string& note() const { return note_; }

 protected:
  std::string note_;
};

std::unique_ptr<InvocationLaunch> plain_launch(PreparedRun& run);

// Captures one invocation on `stream` (a cudaStream_t). When it cannot be captured (a kernel that
// synchronises or allocates inside run()), plain launches with a note that says why.
std::unique_ptr<InvocationLaunch> graph_launch(PreparedRun& run, void* stream);

// The launch a point's timing asks for: graph_launch for hot GPU timing with `graph`, else plain.
std::unique_ptr<InvocationLaunch> launch_for_timing(TimingMode mode, bool graph, bool cuda, PreparedRun& run,
                                                    void* stream);

}  // namespace fa
