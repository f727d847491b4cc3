#pragma once
// Sizes of one ring run: the shard each GPU holds and every per-GPU buffer, in one place so that the
// allocation (ring_rank.cpp) and the scratch estimate (RingKernel::workspace_bytes) cannot drift.
#include <cstddef>
#include <cstdint>

#include "core/problem.hpp"
#include "kernels/flash/flash_params.hpp"
#include "kernels/ring/ring_sharding.hpp"
#include "kernels/ring/ring_step_choice.hpp"

namespace fa::ring {

struct RingGeometry {
  int ranks = 1;                // P, the GPUs of the ring
  Pass pass = Pass::fwd;
  Sharding sharding = Sharding::contiguous;
  bool causal = false;
  std::int64_t batch = 0, heads = 0, shard_rows = 0, head_dim = 0;  // shard_rows: n = N / P
  std::size_t elem_bytes = 2;   // fp16 / bf16

  std::int64_t shard_elements() const { return batch * heads * shard_rows * head_dim; }  // E
  std::int64_t shard_lse_rows() const { return batch * heads * shard_rows; }            // R
  std::size_t shard_bytes() const { return static_cast<std::size_t>(shard_elements()) * elem_bytes; }
  std::size_t shard_f32_bytes() const { return static_cast<std::size_t>(shard_elements()) * sizeof(float); }
  std::size_t lse_bytes() const { return static_cast<std::size_t>(shard_lse_rows()) * sizeof(float); }
  bool backward() const { return pass != Pass::fwd; }
  // Some step's query window is the upper half of the shard (zigzag causal, ring_sharding.hpp).
  bool partial_query_windows() const { return has_partial_query_windows(sharding, causal, ranks); }
};

RingGeometry ring_geometry(const Problem& p, Pass pass, int ranks, Sharding sharding);

// Flash launch parameters of one ring step: the shard problem (Nq = Nk = n, compact bhnd strides, no
// dropout, no mask) without pointers. causal is the problem's; each step sets its own, and its
// window's row counts and the strides of its compact outputs (ring_run.cpp).
flash::FlashBwdParams shard_flash_params(const Problem& p, int ranks);

// Bytes one GPU of the ring allocates, by purpose (see ring_rank.hpp for what each buffer holds).
struct RankBytes {
  std::size_t q = 0, kv = 0, dout = 0;              // input shards (K and V packed)
  std::size_t o = 0, lse = 0;                       // forward outputs (lse also the lse accumulator)
  std::size_t lse_upper = 0;                        // backward, zigzag causal: lse of the shard's upper half
  std::size_t o_acc = 0, o_step = 0, lse_step = 0;  // forward merge
  std::size_t kv_slots = 0;                         // two K|V receive slots (ring of more than one GPU)
  std::size_t dq_acc = 0, grad_step = 0;            // backward: dQ accumulator, one step's dQ|dK|dV
  std::size_t grad_slots = 0;                       // dK|dV float accumulators travelling with K|V
  std::size_t step_fwd_workspace = 0;               // the step kernels' scratch (ring_step_choice.hpp)
  std::size_t step_bwd_workspace = 0;
  std::size_t staging = 0;                          // rank 0 only: one shard between devices
  std::size_t total() const {
    return q + kv + dout + o + lse + lse_upper + o_acc + o_step + lse_step + kv_slots + dq_acc + grad_step +
           grad_slots + step_fwd_workspace + step_bwd_workspace + staging;
  }
};

// steps: the kernels the point's steps launch, whose scratch differs.
RankBytes rank_bytes(const RingGeometry& g, const flash::FlashParams& shard_params, const StepKernels& steps,
                     bool rank0);

}  // namespace fa::ring
