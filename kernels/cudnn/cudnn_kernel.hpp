#pragma once
// The `cudnn` family: cuDNN's fused flash SDPA (forward with lse, backward) through the cuDNN
// frontend's graph API, as the vendor yardstick next to our own kernels. Graphs and execution plans
// are built once per geometry (all problem fields that shape the graph, the operands' strides, and
// whether it is the forward or backward graph) and cached in the kernel object; workspace comes from
// ExecContext::scratch. Dropout uses cuDNN's own RNG, so verification skips dropout rows.
// This header needs no cuDNN header.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "core/kernel.hpp"
#include "kernels/cudnn/cudnn_family.hpp"

namespace fa {

std::unique_ptr<AttentionKernel> make_cudnn_kernel();

namespace cudnn {

// Version of the libcudnn loaded at run time, e.g. "9.14.0" (for run metadata).
std::string backend_version();

class CudnnKernel final : public AttentionKernel {
 public:
  CudnnKernel();
  ~CudnnKernel() override;
  std::string_view name() const override { return cudnn_family().name; }
  std::string_view summary() const override { return cudnn_family().summary; }
  Backend backend() const override { return Backend::cuda; }
  bool shares_dropout_mask() const override { return false; }
  // Static limits first; then, where a GPU is present, cuDNN itself decides by building the graph
  // (cached for prepare()), and a refusal carries cuDNN's reason.
  Support supports(const Problem& p, Pass pass) const override;
  std::size_t workspace_bytes(const Problem& p, Pass pass) const override;
  std::unique_ptr<PreparedRun> prepare(const Problem& p, Pass pass, const Operands& ops,
                                       const ExecContext& ctx) override;

  // Graphs built so far (cache misses); a geometry seen before is not rebuilt.
  std::size_t graphs_built() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace cudnn
}  // namespace fa
