#pragma once
// The set-up of one point before anything runs it, shared by every front end (`run`, `verify`,
// `profile`, fa-bench-gbench) so that what they time, check and profile is the same work: the point's
// operands in the kernel's memory space (from a tracking allocator, with the point's block mask),
// filled with random data or with given inputs, then the kernel prepared on them with its scratch
// from a second tracking allocator. Two steps, so that a caller can read the device's memory between
// them.
#include <cstdint>
#include <memory>
#include <optional>

#include "core/block_mask.hpp"
#include "core/kernel.hpp"
#include "core/problem.hpp"
#include "measure/operands.hpp"
#include "measure/tracking_allocator.hpp"

namespace fa {

// What the operands hold.
struct PointInputs {
  std::uint64_t seed = 42;            // random normal, generated where they live (timing, profiling)
  const HostInputs* given = nullptr;  // or these, uploaded, with NaN in every output (correctness)
};

// Where the point runs: its cudaStream_t (null for host kernels) and CUDA device.
struct PointPlace {
  void* stream = nullptr;
  int device = 0;
};

class PointSetup {
 public:
  // Allocates and fills the operands (fa::OutOfMemory when they do not fit). `mask`: the point's block
  // mask (ref::problem_block_mask), or null for a dense point; copied into the operands.
  PointSetup(AttentionKernel& kernel, const Point& pt, const BlockMask* mask, const PointInputs& inputs,
             const PointPlace& place);
  PointSetup(const PointSetup&) = delete;
  PointSetup& operator=(const PointSetup&) = delete;

  // Prepares the kernel on the operands (everything untimed: handles, plans, scratch); once.
  PreparedRun& prepare();
  // The prepared run (after prepare()).
  PreparedRun& run() const { return *run_; }
  const OperandSet& operands() const { return *ops_; }
  // The kernel's scratch, counted apart from the operands.
  const TrackingAllocator& scratch() const { return *scratch_; }

 private:
  AttentionKernel& kernel_;
  Point point_;
  PointPlace place_;
  std::unique_ptr<TrackingAllocator> io_, scratch_;
  std::unique_ptr<OperandSet> ops_;
  std::unique_ptr<PreparedRun> run_;  // last: released before the operands it reads
};

// Both steps at once, for callers with nothing to do between them. The point's block mask is made here.
std::unique_ptr<PointSetup> set_up_point(AttentionKernel& kernel, const Point& pt, const PointInputs& inputs,
                                         const PointPlace& place);

}  // namespace fa
