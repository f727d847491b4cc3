#include "kernels/ring/ring_geometry.hpp"

#include "kernels/flash/flash_kernel.hpp"

namespace fa::ring {

RingGeometry ring_geometry(const Problem& p, Pass pass, int ranks, Sharding sharding) {
  RingGeometry g;
  g.ranks = ranks;
  g.pass = pass;
  g.sharding = sharding;
  g.causal = p.causal;
  g.batch = p.batch;
  g.heads = p.heads;
  g.shard_rows = p.seqlen_q / ranks;
  g.head_dim = p.head_dim;
  g.elem_bytes = dtype_bytes(p.dtype);
  return g;
}

flash::FlashBwdParams shard_flash_params(const Problem& p, int ranks) {
  Problem shard = p;
  shard.seqlen_q = shard.seqlen_kv = p.seqlen_q / ranks;
  shard.layout = Layout::bhnd;  // the ring's own compact copies, whatever the harness's layout
  shard.dropout = 0.0;
  shard.sparsity = Sparsity{};
  return flash::params_for(shard, nullptr, false);
}

RankBytes rank_bytes(const RingGeometry& g, const flash::FlashParams& shard_params, const StepKernels& steps,
                     bool rank0) {
  RankBytes b;
  const bool ring = g.ranks > 1;
  b.q = g.shard_bytes();
  b.kv = 2 * g.shard_bytes();
  // Every pass runs the forward (Pass::bwd once in prepare): its buffers always exist.
  b.o = g.shard_bytes();
  b.lse = g.lse_bytes();
  b.o_acc = g.shard_f32_bytes();
  b.o_step = g.shard_bytes();
  b.lse_step = g.lse_bytes();
  b.step_fwd_workspace = step_fwd_workspace_bytes(steps, shard_params);
  if (ring) b.kv_slots = 2 * 2 * g.shard_bytes();
  if (g.backward()) {
    b.dout = g.shard_bytes();
    // flash_bwd reads lse as [B, H, rows] contiguous: the upper-half window needs its own compact copy.
    if (g.partial_query_windows()) b.lse_upper = g.lse_bytes() / 2;
    b.dq_acc = g.shard_f32_bytes();
    b.grad_step = 3 * g.shard_bytes();
    b.grad_slots = (ring ? 2 : 1) * 2 * g.shard_f32_bytes();
    b.step_bwd_workspace = step_bwd_workspace_bytes(steps, shard_params);
  }
  if (rank0 && ring) b.staging = g.shard_bytes();  // lse rows (R floats) fit too: D >= 32 > 2
  return b;
}

}  // namespace fa::ring
