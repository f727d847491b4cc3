#pragma once
// One prepared ring point (the PreparedRun of the ring family): the per-GPU shards and the schedule
// of ring steps that run() enqueues on every GPU.
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/kernel.hpp"
#include "kernels/flash/flash_params.hpp"
#include "kernels/ring/cuda_handles.hpp"
#include "kernels/ring/ring_comm.hpp"
#include "kernels/ring/ring_geometry.hpp"
#include "kernels/ring/ring_merge.hpp"
#include "kernels/ring/ring_rank.hpp"
#include "kernels/ring/ring_sharding.hpp"
#include "kernels/ring/ring_step_launch.hpp"
#include "kernels/ring/shard_copy.hpp"

namespace fa::ring {

class RingRun final : public PreparedRun {
 public:
  // devices[0] is the device of ctx.stream and the harness's full operands. comm: null for one GPU.
  // sharding: which rows each GPU holds (ring_sharding.hpp; zigzag needs N divisible by 2P). steps: the
  // kernels the steps launch (ring_step_choice.hpp). Plans every step's launch, copies the input shards to
  // every GPU and, for Pass::bwd, runs the forward (O, lse) once; all outside the timed region, all
  // finished when the constructor returns.
  RingRun(const Problem& p, Pass pass, const Operands& ops, const ExecContext& ctx, const std::vector<int>& devices,
          std::shared_ptr<const RingComm> comm, Sharding sharding, StepKernels steps);
  ~RingRun() override;

  // Enqueues one pass on every GPU, makes ctx.stream wait for all of them, then copies the output
  // shards into the harness's full tensors on ctx.stream. Returns without waiting for the device.
  void run() override;

 private:
  void plan_steps();
  void scatter_inputs();
  void fork_from_caller();
  // One ring shift on the comm streams after step s: each rank waits for `ready` (its compute stream
  // is done with the slot being overwritten), sends slot(r, s) on to rank r+1, receives slot(r, s+1)
  // from rank r-1, then records `arrived`. K|V blocks: flash_done -> kv_arrived; dK|dV accumulators:
  // acc_done -> grads_arrived.
  void shift(int s, OwnedEvent Rank::*ready, OwnedEvent Rank::*arrived, std::size_t bytes,
             const std::function<void*(int r, int s)>& slot);
  void shift_kv(int s);  // the K|V blocks' shift after step s
  void enqueue_forward();
  void enqueue_backward();
  void join_into_caller();
  void gather_outputs(bool forward, bool backward);
  bool rank0_reads(int r) const;  // rank 0 reads rank r's shards in place (peer access)
  void refuse_uncapturable() const;

  // Ring step s on rank r works on the K|V block of rank (r - s) mod P.
  int block_at(int r, int s) const { return (r - s + ranks()) % ranks(); }
  // Which rows of rank r's queries and of block j one step's flash launch covers (ring_sharding.hpp):
  // contiguous causal skips later blocks; zigzag causal gives every step half of the 2c x 2c pairs.
  BlockWork work(int r, int j) const { return block_work(sharding_, causal_, r, j, geo_.shard_rows); }
  void* kv_at(int r, int s) const;      // the K|V block rank r holds at step s
  float* grads_at(int r, int s) const;  // the dK|dV accumulator rank r updates at step s
  void* k_of(void* kv) const { return kv; }
  void* v_of(void* kv) const { return static_cast<char*>(kv) + geo_.shard_bytes(); }
  // Row `row` of a compact shard (bhnd [B, H, n, D]): with the shard's strides, a view of its rows
  // from there on, which is how a step's query or key window reaches the flash kernels.
  void* row_of(void* shard, std::int64_t row) const;
  // Bytes of a compact [B, H, rows, D] result (a step's dQ, dK or dV window), and its strides.
  std::size_t window_bytes(std::int64_t rows) const;
  void compact_strides(std::int64_t rows, std::int64_t& sb, std::int64_t& sh, std::int64_t& sn) const;
  // Step s's window of rank r (w): its query rows of Q and key rows of the K|V block it holds, as views
  // with the shard's strides, and their counts; shared by the forward and backward launches.
  void set_window(flash::FlashParams& f, const Rank& rank, int r, int s, const BlockWork& w) const;
  // The launch parameters of step s on rank r (w: its window), planned once per point (plan_steps).
  flash::FlashParams forward_params(const Rank& rank, int r, int s, const BlockWork& w) const;
  flash::FlashBwdParams backward_params(const Rank& rank, int r, int s, const BlockWork& w) const;
  // Where a backward step writes dQ | dK | dV (rank.grad_step), each compact over its window: dQ at the
  // start, dK at one shard's bytes, dV right behind dK so that dK|dV are one [2*B*H, k_rows, D] array.
  struct StepGrads {
    char *dq, *dk, *dv;
  };
  StepGrads step_grads(const Rank& rank, const BlockWork& w) const;
  // lse of a step's query window as flash_bwd reads it ([B, H, rows] contiguous).
  float* window_lse(const Rank& rank, const BlockWork& w) const;
  RowWindow acc_window(std::int64_t groups, std::int64_t first, std::int64_t rows) const {
    return {groups, geo_.shard_rows, first, rows};
  }
  int ranks() const { return geo_.ranks; }

  ShardView full_view(const TensorRef& t, std::int64_t global_row) const;  // a harness tensor from that row on
  ShardView compact_view(void* data, std::int64_t local_row) const;       // a compact shard from that row on
  ShardShape run_shape(std::int64_t rows) const;

  Problem p_;
  Pass pass_;
  Operands ops_;
  cudaStream_t stream_;  // ctx.stream, on devices[0]
  bool causal_;
  Sharding sharding_;
  RingGeometry geo_;
  flash::FlashBwdParams base_;  // shard shape and strides; pointers and causal set per step
  StepLaunches steps_;          // every step's launch, planned in the constructor
  std::shared_ptr<const RingComm> comm_;
  OwnedEvent start_;  // recorded on ctx.stream at the start of run(): every GPU's work waits on it
  std::vector<std::unique_ptr<Rank>> ranks_;
  std::vector<cudaStream_t> comm_streams_;
};

}  // namespace fa::ring
