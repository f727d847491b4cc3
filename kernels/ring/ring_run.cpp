// The ring schedule. Rank r (GPU devices[r]) owns a query shard of n = N / P rows (contiguous: rows
// [r*n, (r+1)*n); zigzag: chunks r and 2P-1-r of c = n/2 rows, ring_sharding.hpp) and, at step s,
// holds the K|V block of rank (r - s) mod P. While it computes on that block (flash on its compute
// stream), the block travels on to rank r+1 and the next one arrives from rank r-1 (NCCL on its comm
// stream), into the other of two receive slots. CUDA events order the two streams:
//
//   forward, step s                               backward, step s
//   comm:    [wait flash_done] shift K|V          comm:    [wait flash_done] shift K|V
//   compute: flash_fwd, record flash_done,        compute: flash_bwd, record flash_done,
//            merge into O/lse accumulators,                [wait grads_arrived] accumulate dQ, dK|dV,
//            [wait kv_arrived]                             record acc_done
//                                                 comm:    [wait acc_done] shift dK|dV accumulators
//                                                 compute: [wait kv_arrived]
//
// flash_done guards slot reuse: the shift of step s writes the slot that step s-1 computed on. The
// backward's dK|dV accumulators travel with their K|V block one step behind it: the flash_bwd of step
// s+1 (into temporaries) overlaps the accumulators' transfer, only the accumulate waits for them. The
// last shift (step P-1) returns every accumulator to the block's owner.
//
// Each step's flash launch covers the window of query and key rows that block_work() names: the whole
// shard x block (contiguous, non-causal; the diagonal of either sharding), nothing (contiguous causal,
// a later block), or half of one side (zigzag causal: all queries x the block's first chunk, or the
// second query chunk x the whole block). A window is a row offset into the compact shard with the
// shard's strides; its results (O and lse of the forward, dQ or dK|dV of the backward) are compact
// [B, H, rows, ...] and the merge / accumulate kernels fold them into the window's accumulator rows.
//
// The launches are flash's or flash3's (ring_step_choice.hpp), planned per (rank, step) in the constructor
// (ring_step_launch.hpp): flash3's tensor maps bake in the K|V slot a step reads, which alternates between
// the two receive slots, so each step has its own plan and run() encodes none. Either kernel writes a
// step's results (never adds to them) and takes lse as [B, H, rows] contiguous; the only causal steps are
// the diagonal ones, square windows, where the bottom-right mask both kernels apply is the local diagonal.
#include "kernels/ring/ring_run.hpp"

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/cuda_check.hpp"
#include "kernels/ring/device_memory.hpp"
#include "kernels/ring/ring_merge.hpp"

namespace fa::ring {

namespace {

void record(const OwnedEvent& e, const OwnedStream& s) { FA_CUDA_CHECK(cudaEventRecord(e.get(), s.get())); }
void wait(const OwnedStream& s, const OwnedEvent& e) { FA_CUDA_CHECK(cudaStreamWaitEvent(s.get(), e.get(), 0)); }

bool rows_aligned(const TensorRef& t) {
  return reinterpret_cast<std::uintptr_t>(t.data) % 16 == 0 && t.stride_b % 8 == 0 && t.stride_h % 8 == 0 &&
         t.stride_n % 8 == 0;
}

}  // namespace

RingRun::RingRun(const Problem& p, Pass pass, const Operands& ops, const ExecContext& ctx,
                 const std::vector<int>& devices, std::shared_ptr<const RingComm> comm, Sharding sharding,
                 StepKernels steps)
    : p_(p),
      pass_(pass),
      ops_(ops),
      stream_(static_cast<cudaStream_t>(ctx.stream)),
      causal_(p.causal),
      sharding_(sharding),
      geo_(ring_geometry(p, pass, static_cast<int>(devices.size()), sharding)),
      base_(shard_flash_params(p, static_cast<int>(devices.size()))),
      steps_(std::move(steps), static_cast<int>(devices.size())),
      comm_(std::move(comm)),
      start_(devices.at(0)) {
  if (ranks() > 1 && (comm_ == nullptr || comm_->devices() != devices)) {
    throw std::invalid_argument("ring: the communicator does not match the ring's devices");
  }
  if (sharding_ == Sharding::zigzag && p.seqlen_q % (2 * static_cast<std::int64_t>(ranks())) != 0) {
    throw std::invalid_argument("ring: zigzag sharding needs the sequence length divisible by 2P");
  }
  // The shard copies move 16-byte vectors of the harness's tensors.
  const bool grads = pass != Pass::fwd;
  for (const TensorRef* t : {&ops.q, &ops.k, &ops.v, &ops.o}) {
    if (!rows_aligned(*t)) throw std::invalid_argument("ring: operands need 16-byte aligned rows and strides");
  }
  if (grads) {
    for (const TensorRef* t : {&ops.dout, &ops.dq, &ops.dk, &ops.dv}) {
      if (!rows_aligned(*t)) throw std::invalid_argument("ring: gradients need 16-byte aligned rows and strides");
    }
  }
  for (int r = 0; r < ranks(); ++r) {
    const RankBytes bytes = rank_bytes(geo_, base_, steps_.kernels(), r == 0);
    ranks_.push_back(std::make_unique<Rank>(devices[r], r == 0 ? ctx.scratch : nullptr, bytes));
    comm_streams_.push_back(ranks_.back()->comm.get());
  }
  plan_steps();
  scatter_inputs();
  if (pass_ == Pass::bwd) {
    // Backward-only timing reads O and lse of a forward that must stay out of the timed region; the
    // harness's O and lse are written too (verification compares them).
    fork_from_caller();
    enqueue_forward();
    join_into_caller();
    gather_outputs(true, false);
  }
  DeviceGuard on(devices[0]);
  FA_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

RingRun::~RingRun() {
  // Rank destructors synchronise their streams before their buffers go; ctx.stream may still be
  // copying out of them (gather_outputs), so wait for it first.
  if (!ranks_.empty()) {
    int previous = -1;
    (void)cudaGetDevice(&previous);
    (void)cudaSetDevice(ranks_[0]->device);
    (void)cudaStreamSynchronize(stream_);
    (void)cudaSetDevice(previous);
  }
  ranks_.clear();
}

void RingRun::run() {
  refuse_uncapturable();
  fork_from_caller();
  if (pass_ != Pass::bwd) enqueue_forward();
  if (pass_ != Pass::fwd) enqueue_backward();
  join_into_caller();
  // The copies of the output shards into the harness's tensors are on ctx.stream, so they are part of
  // what CUDA events on ctx.stream time: gathering the result on one GPU is part of the ring's cost.
  gather_outputs(pass_ != Pass::bwd, pass_ != Pass::fwd);
}

bool RingRun::rank0_reads(int r) const { return r == 0 || comm_->rank0_reads(r); }

void RingRun::refuse_uncapturable() const {
  // Without peer access an output shard comes back by cudaMemcpyPeerAsync, which stream capture
  // refuses. Say so before anything is enqueued: a capture that fails half way would leave NCCL
  // operations of an abandoned graph behind.
  cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
  FA_CUDA_CHECK(cudaStreamIsCapturing(stream_, &status));
  if (status == cudaStreamCaptureStatusNone) return;
  for (int r = 0; r < ranks(); ++r) {
    if (!rank0_reads(r)) {
      throw std::runtime_error("ring: run() cannot be captured into a CUDA graph: GPU " +
                               std::to_string(ranks_[0]->device) + " has no peer access to GPU " +
                               std::to_string(ranks_[r]->device) +
                               ", so output shards come back by cudaMemcpyPeerAsync, which stream capture refuses");
    }
  }
}

void* RingRun::kv_at(int r, int s) const {
  const Rank& k = *ranks_[r];
  return s == 0 ? k.kv : k.kv_slot[s % 2];
}

float* RingRun::grads_at(int r, int s) const {
  const Rank& k = *ranks_[r];
  return ranks() == 1 ? k.grad_slot[0] : k.grad_slot[s % 2];
}

ShardView RingRun::full_view(const TensorRef& t, std::int64_t global_row) const {
  return {static_cast<char*>(t.data) + global_row * t.stride_n * static_cast<std::int64_t>(geo_.elem_bytes),
          t.stride_b, t.stride_h, t.stride_n};
}

ShardView RingRun::compact_view(void* data, std::int64_t local_row) const {
  const std::int64_t n = geo_.shard_rows, d = geo_.head_dim;
  return {row_of(data, local_row), geo_.heads * n * d, n * d, d};
}

ShardShape RingRun::run_shape(std::int64_t rows) const { return {geo_.batch, geo_.heads, rows, geo_.head_dim}; }

void* RingRun::row_of(void* shard, std::int64_t row) const {
  return static_cast<char*>(shard) + static_cast<std::size_t>(row * geo_.head_dim) * geo_.elem_bytes;
}

void RingRun::compact_strides(std::int64_t rows, std::int64_t& sb, std::int64_t& sh, std::int64_t& sn) const {
  sn = geo_.head_dim;
  sh = rows * sn;
  sb = geo_.heads * sh;
}

std::size_t RingRun::window_bytes(std::int64_t rows) const {
  return static_cast<std::size_t>(geo_.batch * geo_.heads * rows * geo_.head_dim) * geo_.elem_bytes;
}

float* RingRun::window_lse(const Rank& rank, const BlockWork& w) const {
  const std::int64_t n = geo_.shard_rows;
  if (w.q_first == 0 && w.q_rows == n) return rank.lse;
  // The only partial query window (zigzag causal): the upper half, copied compact by enqueue_backward.
  if (rank.lse_upper != nullptr && w.q_first == n / 2 && w.q_rows == n - n / 2) return rank.lse_upper;
  throw std::logic_error("ring: no compact lse for query rows [" + std::to_string(w.q_first) + ", " +
                         std::to_string(w.q_first + w.q_rows) + ") of the shard");
}

void RingRun::set_window(flash::FlashParams& f, const Rank& rank, int r, int s, const BlockWork& w) const {
  f.seqlen_q = static_cast<int>(w.q_rows);
  f.seqlen_kv = static_cast<int>(w.k_rows);
  f.q = row_of(rank.q, w.q_first);
  f.k = row_of(k_of(kv_at(r, s)), w.k_first);
  f.v = row_of(v_of(kv_at(r, s)), w.k_first);
}

flash::FlashParams RingRun::forward_params(const Rank& rank, int r, int s, const BlockWork& w) const {
  // The window's rows of Q, K, V are views with the shard's strides (base_); O and lse of the step are
  // compact over the window's query rows.
  flash::FlashParams f = base_;
  set_window(f, rank, r, s, w);
  f.o = rank.o_step;
  compact_strides(w.q_rows, f.o_stride_b, f.o_stride_h, f.o_stride_n);
  f.lse = rank.lse_step;
  f.causal = w.causal;
  return f;
}

RingRun::StepGrads RingRun::step_grads(const Rank& rank, const BlockWork& w) const {
  char* dq = static_cast<char*>(rank.grad_step);
  char* dk = dq + geo_.shard_bytes();
  return {dq, dk, dk + window_bytes(w.k_rows)};
}

flash::FlashBwdParams RingRun::backward_params(const Rank& rank, int r, int s, const BlockWork& w) const {
  // Partial gradients of one block are exact with the final O and lse of the query shard.
  // Q, O, dO, K, V: views of the window's rows with the shard's strides (base_).
  const StepGrads g = step_grads(rank, w);
  flash::FlashBwdParams b = base_;
  set_window(b, rank, r, s, w);
  b.o = row_of(rank.o, w.q_first);
  b.lse = window_lse(rank, w);
  b.dout = row_of(rank.dout, w.q_first);
  b.dq = g.dq;
  compact_strides(w.q_rows, b.dq_stride_b, b.dq_stride_h, b.dq_stride_n);
  b.dk = g.dk;
  b.dv = g.dv;
  compact_strides(w.k_rows, b.dk_stride_b, b.dk_stride_h, b.dk_stride_n);
  compact_strides(w.k_rows, b.dv_stride_b, b.dv_stride_h, b.dv_stride_n);
  b.causal = w.causal;
  return b;
}

void RingRun::plan_steps() {
  // Every pass runs the forward (Pass::bwd once, in this constructor); the backward where the pass has one.
  // A rank's steps run in order on its compute stream, so they share its workspaces.
  const std::size_t bwd_bytes = geo_.backward() ? step_bwd_workspace_bytes(steps_.kernels(), base_) : 0;
  for (int r = 0; r < ranks(); ++r) {
    const Rank& rank = *ranks_[r];
    DeviceGuard on(rank.device);  // flash3 plans for the device it runs on (its grid: that GPU's SMs)
    for (int s = 0; s < ranks(); ++s) {
      const BlockWork w = work(r, block_at(r, s));
      if (!w.any) continue;
      steps_.plan_forward(r, s, forward_params(rank, r, s, w), rank.fwd_workspace);
      if (geo_.backward()) steps_.plan_backward(r, s, backward_params(rank, r, s, w), rank.bwd_workspace, bwd_bytes);
    }
  }
}

void RingRun::scatter_inputs() {
  // On ctx.stream, after whatever filled the operands there: rank 0's shards are gathered in place,
  // the others' through rank 0's staging buffer and a peer copy (one at a time: one staging buffer).
  // The rows of a shard come run by run (ring_sharding.hpp: one run contiguous, two zigzag) into
  // their local places, so the ring's compact shard is in local row order.
  Rank& home = *ranks_[0];
  DeviceGuard on(home.device);
  for (int r = 0; r < ranks(); ++r) {
    Rank& rank = *ranks_[r];
    const std::vector<RowRun> runs = shard_runs(sharding_, r, ranks(), geo_.shard_rows);
    auto send = [&](const TensorRef& full, void* dst) {
      for (const RowRun& run : runs) {
        copy_shard(compact_view(r == 0 ? dst : home.staging, run.local_first), full_view(full, run.global_first),
                   run_shape(run.rows), stream_);
      }
      if (r != 0) {
        FA_CUDA_CHECK(cudaMemcpyPeerAsync(dst, rank.device, home.staging, home.device, geo_.shard_bytes(), stream_));
      }
    };
    send(ops_.q, rank.q);
    send(ops_.k, k_of(rank.kv));
    send(ops_.v, v_of(rank.kv));
    if (geo_.backward()) send(ops_.dout, rank.dout);
  }
  // Nothing of the ring's streams may read a shard before it is there: prepare() returns only after
  // this stream is synchronised, and every run() starts behind ctx.stream anyway.
}

void RingRun::fork_from_caller() {
  DeviceGuard on(ranks_[0]->device);
  FA_CUDA_CHECK(cudaEventRecord(start_.get(), stream_));
  for (auto& rank : ranks_) {
    DeviceGuard on_rank(rank->device);
    wait(rank->compute, start_);
  }
}

void RingRun::join_into_caller() {
  for (auto& rank : ranks_) {
    DeviceGuard on_rank(rank->device);
    record(rank->done, rank->compute);
  }
  DeviceGuard on(ranks_[0]->device);
  for (auto& rank : ranks_) FA_CUDA_CHECK(cudaStreamWaitEvent(stream_, rank->done.get(), 0));
}

void RingRun::shift(int s, OwnedEvent Rank::*ready, OwnedEvent Rank::*arrived, std::size_t bytes,
                    const std::function<void*(int r, int s)>& slot) {
  const int P = ranks();
  std::vector<const void*> send(P);
  std::vector<void*> recv(P);
  for (int r = 0; r < P; ++r) {
    Rank& rank = *ranks_[r];
    DeviceGuard on(rank.device);
    wait(rank.comm, rank.*ready);
    send[r] = slot(r, s);
    recv[r] = slot(r, s + 1);
  }
  comm_->shift(send, recv, bytes, comm_streams_);
  for (auto& rank : ranks_) {
    DeviceGuard on(rank->device);
    record((*rank).*arrived, rank->comm);
  }
}

void RingRun::shift_kv(int s) {
  shift(s, &Rank::flash_done, &Rank::kv_arrived, 2 * geo_.shard_bytes(), [this](int r, int t) { return kv_at(r, t); });
}

void RingRun::enqueue_forward() {
  const int P = ranks();
  const std::int64_t bh = geo_.batch * geo_.heads, d = geo_.head_dim;
  // The comm streams must not overwrite a slot that earlier work on the compute stream still reads.
  for (auto& rank : ranks_) {
    DeviceGuard on(rank->device);
    record(rank->flash_done, rank->compute);
  }
  for (int s = 0; s < P; ++s) {
    const bool more = s + 1 < P;
    if (more) shift_kv(s);
    for (int r = 0; r < P; ++r) {
      Rank& rank = *ranks_[r];
      DeviceGuard on(rank.device);
      const BlockWork w = work(r, block_at(r, s));
      if (w.any) steps_.forward(r, s, rank.compute.get());  // O and lse of the window, compact
      record(rank.flash_done, rank.compute);
      // Step 0 is the diagonal block, always computed on all rows: it initialises the accumulators.
      if (w.any) {
        merge_partial(rank.o_acc, rank.lse, rank.o_step, rank.lse_step, acc_window(bh, w.q_first, w.q_rows), d,
                      p_.dtype, s == 0, rank.compute.get());
      }
      if (more) wait(rank.compute, rank.kv_arrived);
    }
  }
  for (auto& rank : ranks_) {
    DeviceGuard on(rank->device);
    convert_to_dtype(rank->o, rank->o_acc, geo_.shard_elements(), p_.dtype, rank->compute.get());
  }
}

void RingRun::enqueue_backward() {
  const int P = ranks();
  const std::int64_t E = geo_.shard_elements();
  const std::int64_t bh = geo_.batch * geo_.heads, n = geo_.shard_rows, d = geo_.head_dim;
  for (auto& rank : ranks_) {
    DeviceGuard on(rank->device);
    record(rank->flash_done, rank->compute);
    // Steps on the upper half of the queries read its lse compact (flash_bwd takes lse contiguous):
    // copied once per pass from the final lse, behind the forward on the same stream.
    if (rank->lse_upper != nullptr) {
      copy_lse_rows(rank->lse_upper, n - n / 2, rank->lse + n / 2, n, bh, n - n / 2, rank->compute.get());
    }
  }
  for (int s = 0; s < P; ++s) {
    const bool more = s + 1 < P;
    if (more) shift_kv(s);
    for (int r = 0; r < P; ++r) {
      Rank& rank = *ranks_[r];
      DeviceGuard on(rank.device);
      const BlockWork w = work(r, block_at(r, s));
      if (w.any) steps_.backward(r, s, rank.compute.get());  // dQ | dK | dV of the window (step_grads)
      record(rank.flash_done, rank.compute);
      if (s > 0) wait(rank.compute, rank.grads_arrived);  // the accumulator of this step's block
      if (w.any) {
        const StepGrads g = step_grads(rank, w);
        accumulate(rank.dq_acc, g.dq, acc_window(bh, w.q_first, w.q_rows), d, p_.dtype, s == 0, rank.compute.get());
        // dK|dV: groups 0 .. BH-1 are dK's (b, h), BH .. 2BH-1 dV's, in the accumulator as in the step.
        accumulate(grads_at(r, s), g.dk, acc_window(2 * bh, w.k_first, w.k_rows), d, p_.dtype, s == 0,
                   rank.compute.get());
      }
      if (P > 1) record(rank.acc_done, rank.compute);
    }
    if (P > 1) {
      shift(s, &Rank::acc_done, &Rank::grads_arrived, 2 * geo_.shard_f32_bytes(),
            [this](int r, int t) -> void* { return grads_at(r, t); });
    }
    if (more) {
      for (auto& rank : ranks_) {
        DeviceGuard on(rank->device);
        wait(rank->compute, rank->kv_arrived);
      }
    }
  }
  // After P shifts every accumulator is back with its block's owner: grads_at(r, P) holds dK|dV of
  // rank r's own keys. The step buffer becomes the final dQ | dK | dV in dtype.
  for (int r = 0; r < P; ++r) {
    Rank& rank = *ranks_[r];
    DeviceGuard on(rank.device);
    if (P > 1) wait(rank.compute, rank.grads_arrived);
    char* out = static_cast<char*>(rank.grad_step);
    convert_to_dtype(out, rank.dq_acc, E, p_.dtype, rank.compute.get());
    convert_to_dtype(out + geo_.shard_bytes(), grads_at(r, P), 2 * E, p_.dtype, rank.compute.get());
  }
}

void RingRun::gather_outputs(bool forward, bool backward) {
  // On ctx.stream, behind join_into_caller(): kernels on rank 0 scatter every shard into the
  // harness's strided tensors, reading the other GPUs' shards in place over peer access. Without
  // peer access a shard comes over to rank 0's staging buffer first (a peer copy, then the scatter).
  // Each shard goes back run by run (ring_sharding.hpp), undoing the scatter's permutation.
  Rank& home = *ranks_[0];
  DeviceGuard on(home.device);
  const std::int64_t bh = geo_.batch * geo_.heads, n = geo_.shard_rows;
  const std::int64_t seqlen = p_.seqlen_q;
  for (int r = 0; r < ranks(); ++r) {
    Rank& rank = *ranks_[r];
    const std::vector<RowRun> runs = shard_runs(sharding_, r, ranks(), n);
    auto bring = [&](const void* src, std::size_t bytes) -> void* {
      if (rank0_reads(r)) return const_cast<void*>(src);
      FA_CUDA_CHECK(cudaMemcpyPeerAsync(home.staging, home.device, src, rank.device, bytes, stream_));
      return home.staging;
    };
    auto put = [&](const TensorRef& full, void* shard) {
      for (const RowRun& run : runs) {
        copy_shard(full_view(full, run.global_first), compact_view(shard, run.local_first), run_shape(run.rows),
                   stream_);
      }
    };
    if (forward) {
      put(ops_.o, bring(rank.o, geo_.shard_bytes()));
      const auto* lse = static_cast<const float*>(bring(rank.lse, geo_.lse_bytes()));
      for (const RowRun& run : runs) {
        copy_lse_rows(static_cast<float*>(ops_.lse) + run.global_first, seqlen, lse + run.local_first, n, bh, run.rows,
                      stream_);
      }
    }
    if (backward) {
      char* step = static_cast<char*>(rank.grad_step);
      const TensorRef* grads[] = {&ops_.dq, &ops_.dk, &ops_.dv};
      for (int t = 0; t < 3; ++t) {
        put(*grads[t], bring(step + static_cast<std::size_t>(t) * geo_.shard_bytes(), geo_.shard_bytes()));
      }
    }
  }
}

}  // namespace fa::ring
