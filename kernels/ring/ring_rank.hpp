#pragma once
// Everything one GPU of the ring owns for one prepared point: its shard buffers, its two streams
// (compute: flash and the merge kernels; comm: NCCL) and the events that order them.
//
// Buffers (E = B*H*n*D elements of the shard, R = B*H*n rows; all compact bhnd, see ring_geometry.hpp):
//   q, kv (K|V packed: one NCCL buffer), dout          input shards, copied in by prepare()
//   o (dtype), lse (float)                              final forward output of this query shard; lse
//                                                       is also the forward's lse accumulator
//   lse_upper (float, zigzag causal backward only)      lse rows [n/2, n) of every (b, h), compact: the
//                                                       lse of the steps whose query window is the
//                                                       upper half (flash reads lse contiguous)
//   o_acc (float), o_step (dtype), lse_step (float)     forward merge: accumulator and one block's result
//   kv_slot[2] (K|V)                                    double-buffered receive slots of the ring
//   dq_acc (float)                                      dQ of this query shard, summed over the blocks
//   grad_step (dQ|dK|dV dtype)                          one block's flash_bwd output; after the last
//                                                       step the final dQ|dK|dV of this GPU
//   grad_slot[1 or 2] (dK|dV float)                     accumulators travelling with their K|V block
//   fwd_workspace, bwd_workspace                        the step kernels' scratch (ring_step_choice.hpp:
//                                                       flash3's causal tile counter; either backward's)
//   staging (rank 0 only)                               one shard in transit to or from another GPU
// Rank 0 (the harness's device) allocates through the harness's tracked scratch allocator, the other
// GPUs through PeerDeviceAllocator.
#include <cuda_runtime_api.h>

#include <memory>
#include <vector>

#include "core/allocator.hpp"
#include "kernels/ring/cuda_handles.hpp"
#include "kernels/ring/device_memory.hpp"
#include "kernels/ring/ring_geometry.hpp"

namespace fa::ring {

class Rank {
 public:
  // scratch: the harness's allocator for rank 0, null for the others (they use their own).
  Rank(int device, Allocator* scratch, const RankBytes& bytes);
  ~Rank();
  Rank(const Rank&) = delete;
  Rank& operator=(const Rank&) = delete;

  const int device;
  OwnedStream compute, comm;
  // Edges of the schedule (ring_run.cpp): compute -> comm when a flash launch is done reading a
  // K|V slot, compute -> comm when an accumulator is updated and may travel, comm -> compute when a
  // K|V block or a gradient accumulator has arrived, and the end of this GPU's work.
  OwnedEvent flash_done, acc_done, kv_arrived, grads_arrived, done;

  void* q = nullptr;
  void* kv = nullptr;
  void* dout = nullptr;
  void* o = nullptr;
  float* lse = nullptr;
  float* lse_upper = nullptr;
  float* o_acc = nullptr;
  void* o_step = nullptr;
  float* lse_step = nullptr;
  void* kv_slot[2] = {nullptr, nullptr};
  float* dq_acc = nullptr;
  void* grad_step = nullptr;
  float* grad_slot[2] = {nullptr, nullptr};
  void* fwd_workspace = nullptr;
  void* bwd_workspace = nullptr;
  void* staging = nullptr;

 private:
  void* take(std::size_t bytes, const char* what);

  std::unique_ptr<PeerDeviceAllocator> own_alloc_;  // ranks other than 0
  Allocator* alloc_;
  std::vector<Buffer> buffers_;  // declared after the allocators: released first
};

}  // namespace fa::ring
