#pragma once
// The `ring` family: ring attention (Liu et al. 2023, "Ring Attention with Blockwise Transformers")
// across the GPUs of one host. The sequence is split into P equal shards, one per GPU (contiguous
// rows, or zigzag for load-balanced causal attention: ring_sharding.hpp); K/V blocks
// travel around the ring over NCCL while every GPU runs the flash kernels (kernels/flash) of its query
// shard against the block it holds, and merges the partial results by their logsumexp. The backward
// pass sends dK/dV accumulators around the ring with their blocks. See ring_run.cpp for the schedule.
//
// P is every visible CUDA device, or FA_RING_GPUS (1 .. visible devices). It is read once, when the
// kernel object is created: set FA_RING_GPUS before make_kernel("ring"). A bad value makes supports()
// say why and prepare() (and ring_size()) throw std::invalid_argument. The ring starts at the
// harness's device (the device of ExecContext::stream, normally ExecContext::device) and continues
// with the next device numbers, wrapping around.
//
// The sharding: zigzag for causal points whose N is divisible by 2P, contiguous otherwise, or
// FA_RING_SHARDING=zigzag|contiguous for every point (read when the kernel object is created, like
// FA_RING_GPUS; a bad value makes supports() say why). Rows have no field for it: summary() says
// which rule applies and sharding_for() gives a point's.
//
// The steps' kernels: flash3's on sm_90 where it is built and takes the shard, else flash's, or
// FA_RING_STEPS=flash|flash3 (ring_step_choice.hpp; read when the kernel object is created). The choice
// is made in prepare() and point_note() states it in the row.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/kernel.hpp"
#include "kernels/ring/ring_family.hpp"
#include "kernels/ring/ring_sharding.hpp"
#include "kernels/ring/ring_step_choice.hpp"

namespace fa {

std::unique_ptr<AttentionKernel> make_ring_kernel();

namespace ring {

// Version of the NCCL library loaded at run time ("2.28.9"), for the run's metadata.
std::string nccl_library_version();

class RingComm;

class RingKernel final : public AttentionKernel {
 public:
  RingKernel();
  ~RingKernel() override;

  std::string_view name() const override { return ring_family().name; }
  std::string_view summary() const override { return summary_; }
  Backend backend() const override { return Backend::cuda; }
  Support supports(const Problem& p, Pass pass) const override;
  // Scratch of the harness's device (rank 0 of the ring): its shards, accumulators, receive slots,
  // the step kernels' workspaces and the staging shard. The other GPUs allocate as much each (less the
  // staging shard) outside the harness's accounting.
  std::size_t workspace_bytes(const Problem& p, Pass pass) const override;
  std::unique_ptr<PreparedRun> prepare(const Problem& p, Pass pass, const Operands& ops,
                                       const ExecContext& ctx) override;
  // "ring steps: flash3 forward and backward", or which run flash and why (ring_step_choice.hpp): the
  // choice prepare() made for the point, or, for a point not prepared last, the choice it would make on the
  // current device.
  std::string point_note(const Problem& p, Pass pass) const override;

  // P, the GPUs of the ring. Throws std::invalid_argument (bad FA_RING_GPUS) or std::runtime_error
  // (no CUDA device) as found when the kernel was created.
  int ring_size() const;

  // The sharding the point runs with (ring_sharding.hpp: FA_RING_SHARDING, else zigzag for causal
  // when 2P divides N, else contiguous). Throws like ring_size(), and std::invalid_argument for a bad
  // FA_RING_SHARDING.
  Sharding sharding_for(const Problem& p) const;

  // The kernels the steps of `p` launch on a ring that starts at `home` (the harness's device). Throws like
  // ring_size().
  StepKernels step_kernels_for(const Problem& p, Pass pass, int home) const;

 private:
  std::shared_ptr<const RingComm> comm_for(const std::vector<int>& devices);
  // Why FA_RING_STEPS cannot run the point on the current device's ring (empty when it can).
  std::string steps_unsupported_reason(const Problem& p, Pass pass) const;

  int size_ = 0;
  std::string size_error_;
  bool size_error_is_usage_ = false;  // bad FA_RING_GPUS (invalid_argument) rather than no device
  std::optional<Sharding> sharding_;  // FA_RING_SHARDING; nullopt: the default choice per point
  std::string sharding_error_;        // a bad FA_RING_SHARDING, said by supports()
  std::optional<StepKernel> steps_;   // FA_RING_STEPS; nullopt: flash3 where it runs, else flash
  std::string steps_error_;           // a bad FA_RING_STEPS, said by supports()
  // The choice of the last prepare(), for point_note().
  struct PreparedSteps {
    Problem problem;
    Pass pass;
    StepKernels steps;
  };
  std::optional<PreparedSteps> prepared_steps_;
  std::string summary_;
  // NCCL communicators of the last device list prepared on (ncclCommInitAll is slow: created once,
  // shared with the prepared runs, destroyed with the last of them and this kernel).
  std::shared_ptr<const RingComm> comm_;
};

}  // namespace ring
}  // namespace fa
