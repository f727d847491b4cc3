// The ring schedule. Rank r (GPU devices[r]) owns query rows [r*n, (r+1)*n) and, at step s, holds the
// K|V block of rank (r - s) mod P. While it computes on that block (flash on its compute stream), the
// block travels on to rank r+1 and the next one arrives from rank r-1 (NCCL on its comm stream), into
// the other of two receive slots. CUDA events order the two streams:
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
#include "kernels/ring/ring_run.hpp"

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
                 const std::vector<int>& devices, std::shared_ptr<const RingComm> comm)
    : p_(p),
      pass_(pass),
      ops_(ops),
      stream_(static_cast<cudaStream_t>(ctx.stream)),
      causal_(p.causal),
      geo_(ring_geometry(p, pass, static_cast<int>(devices.size()))),
      base_(shard_flash_params(p, static_cast<int>(devices.size()))),
      comm_(std::move(comm)),
      start_(devices.at(0)) {
  if (ranks() > 1 && (comm_ == nullptr || comm_->devices() != devices)) {
    throw std::invalid_argument("ring: the communicator does not match the ring's devices");
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
    const RankBytes bytes = rank_bytes(geo_, base_, r == 0);
    ranks_.push_back(std::make_unique<Rank>(devices[r], r == 0 ? ctx.scratch : nullptr, bytes));
    comm_streams_.push_back(ranks_.back()->comm.get());
  }
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

ShardView RingRun::full_view(const TensorRef& t, int r) const {
  const std::int64_t first_row = static_cast<std::int64_t>(r) * geo_.shard_rows;
  return {static_cast<char*>(t.data) + first_row * t.stride_n * static_cast<std::int64_t>(geo_.elem_bytes), t.stride_b,
          t.stride_h, t.stride_n};
}

ShardView RingRun::compact_view(void* data) const {
  const std::int64_t n = geo_.shard_rows, d = geo_.head_dim;
  return {data, geo_.heads * n * d, n * d, d};
}

ShardShape RingRun::shard_shape() const { return {geo_.batch, geo_.heads, geo_.shard_rows, geo_.head_dim}; }

void RingRun::scatter_inputs() {
  // On ctx.stream, after whatever filled the operands there: rank 0's shards are gathered in place,
  // the others' through rank 0's staging buffer and a peer copy (one at a time: one staging buffer).
  Rank& home = *ranks_[0];
  DeviceGuard on(home.device);
  for (int r = 0; r < ranks(); ++r) {
    Rank& rank = *ranks_[r];
    auto send = [&](const TensorRef& full, void* dst) {
      copy_shard(compact_view(r == 0 ? dst : home.staging), full_view(full, r), shard_shape(), stream_);
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

void RingRun::shift_kv(int s) {
  const int P = ranks();
  std::vector<const void*> send(P);
  std::vector<void*> recv(P);
  for (int r = 0; r < P; ++r) {
    DeviceGuard on(ranks_[r]->device);
    wait(ranks_[r]->comm, ranks_[r]->flash_done);
    send[r] = kv_at(r, s);
    recv[r] = kv_at(r, s + 1);
  }
  comm_->shift(send, recv, 2 * geo_.shard_bytes(), comm_streams_);
  for (auto& rank : ranks_) {
    DeviceGuard on(rank->device);
    record(rank->kv_arrived, rank->comm);
  }
}

void RingRun::enqueue_forward() {
  const int P = ranks();
  const std::int64_t rows = geo_.shard_lse_rows();
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
      const int j = block_at(r, s);
      const bool work = computes(r, j);
      if (work) {
        flash::FlashParams f = base_;
        f.q = rank.q;
        f.k = k_of(kv_at(r, s));
        f.v = v_of(kv_at(r, s));
        f.o = rank.o_step;
        f.lse = rank.lse_step;
        f.causal = causal_ && j == r;
        flash::flash_fwd(f, rank.compute.get());
      }
      record(rank.flash_done, rank.compute);
      // Step 0 is the diagonal block, always computed: it initialises the accumulators.
      if (work) {
        merge_partial(rank.o_acc, rank.lse, rank.o_step, rank.lse_step, rows, geo_.head_dim, p_.dtype, s == 0,
                      rank.compute.get());
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
      const int j = block_at(r, s);
      const bool work = computes(r, j);
      char* step = static_cast<char*>(rank.grad_step);  // dQ | dK | dV of this block, dtype
      if (work) {
        // Partial gradients of one block are exact with the final O and lse of the query shard.
        flash::FlashBwdParams b = base_;
        b.q = rank.q;
        b.k = k_of(kv_at(r, s));
        b.v = v_of(kv_at(r, s));
        b.o = rank.o;
        b.lse = rank.lse;
        b.dout = rank.dout;
        b.dq = step;
        b.dk = step + geo_.shard_bytes();
        b.dv = step + 2 * geo_.shard_bytes();
        b.causal = causal_ && j == r;
        flash::flash_bwd(b, rank.bwd_workspace, rank.compute.get());
      }
      record(rank.flash_done, rank.compute);
      if (s > 0) wait(rank.compute, rank.grads_arrived);  // the accumulator of this step's block
      if (work) {
        accumulate(rank.dq_acc, step, E, p_.dtype, s == 0, rank.compute.get());
        accumulate(grads_at(r, s), step + geo_.shard_bytes(), 2 * E, p_.dtype, s == 0, rank.compute.get());
      }
      if (P > 1) record(rank.acc_done, rank.compute);
    }
    if (P > 1) {
      std::vector<const void*> send(P);
      std::vector<void*> recv(P);
      for (int r = 0; r < P; ++r) {
        DeviceGuard on(ranks_[r]->device);
        wait(ranks_[r]->comm, ranks_[r]->acc_done);
        send[r] = grads_at(r, s);
        recv[r] = grads_at(r, s + 1);
      }
      comm_->shift(send, recv, 2 * geo_.shard_f32_bytes(), comm_streams_);
      for (auto& rank : ranks_) {
        DeviceGuard on(rank->device);
        record(rank->grads_arrived, rank->comm);
      }
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
  Rank& home = *ranks_[0];
  DeviceGuard on(home.device);
  const std::int64_t bh = geo_.batch * geo_.heads, n = geo_.shard_rows;
  const std::int64_t seqlen = p_.seqlen_q;
  for (int r = 0; r < ranks(); ++r) {
    Rank& rank = *ranks_[r];
    auto bring = [&](const void* src, std::size_t bytes) -> void* {
      if (rank0_reads(r)) return const_cast<void*>(src);
      FA_CUDA_CHECK(cudaMemcpyPeerAsync(home.staging, home.device, src, rank.device, bytes, stream_));
      return home.staging;
    };
    if (forward) {
      copy_shard(full_view(ops_.o, r), compact_view(bring(rank.o, geo_.shard_bytes())), shard_shape(), stream_);
      const auto* lse = static_cast<const float*>(bring(rank.lse, geo_.lse_bytes()));
      copy_lse_rows(static_cast<float*>(ops_.lse) + static_cast<std::int64_t>(r) * n, seqlen, lse, n, bh, n, stream_);
    }
    if (backward) {
      const char* step = static_cast<const char*>(rank.grad_step);
      const TensorRef* grads[] = {&ops_.dq, &ops_.dk, &ops_.dv};
      for (int t = 0; t < 3; ++t) {
        const void* src = step + static_cast<std::size_t>(t) * geo_.shard_bytes();
        copy_shard(full_view(*grads[t], r), compact_view(bring(src, geo_.shard_bytes())), shard_shape(), stream_);
      }
    }
  }
}

}  // namespace fa::ring
