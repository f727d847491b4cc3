#pragma once
// The launches of one prepared ring point's steps (ring_run.cpp): for every (rank, step) that computes, the
// flash parameters of its window, planned once in prepare() and enqueued by run(). flash3's calls are planned
// there too: their TMA tensor maps bake in the step's K|V slot (which alternates between the two receive
// slots), its window and its outputs, so each (rank, step) has its own, and run() encodes nothing.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <memory>
#include <vector>

#include "kernels/flash/flash_params.hpp"
#include "kernels/ring/ring_step_choice.hpp"

namespace fa::ring {

class StepLaunches {
 public:
  // A ring of `ranks` GPUs: ranks x ranks steps.
  StepLaunches(StepKernels kernels, int ranks);
  ~StepLaunches();
  StepLaunches(const StepLaunches&) = delete;
  StepLaunches& operator=(const StepLaunches&) = delete;

  const StepKernels& kernels() const { return kernels_; }

  // Outside the timed region, with the current device the rank's. fwd_workspace: the rank's
  // step_fwd_workspace_bytes() (steps of one rank run in order on one stream and share it); bwd_workspace
  // likewise, of `bwd_bytes` bytes. Throws std::invalid_argument when the chosen kernel refuses the window.
  void plan_forward(int r, int s, const flash::FlashParams& f, void* fwd_workspace);
  void plan_backward(int r, int s, const flash::FlashBwdParams& b, void* bwd_workspace, std::size_t bwd_bytes);

  // Enqueue the planned step on `stream` (std::logic_error when (r, s) was not planned).
  void forward(int r, int s, cudaStream_t stream) const;
  void backward(int r, int s, cudaStream_t stream) const;

 private:
  struct Flash3Calls;  // ring_step_launch.cpp; empty where flash3 is not built
  std::size_t at(int r, int s) const;

  StepKernels kernels_;
  int ranks_;
  std::vector<flash::FlashParams> fwd_;     // flash's forward of each step
  std::vector<flash::FlashBwdParams> bwd_;  // flash's backward of each step
  std::vector<void*> bwd_workspace_;
  std::vector<bool> fwd_planned_, bwd_planned_;
  std::unique_ptr<Flash3Calls> flash3_;
};

}  // namespace fa::ring
