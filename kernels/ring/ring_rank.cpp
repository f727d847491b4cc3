#include "kernels/ring/ring_rank.hpp"

namespace fa::ring {

Rank::Rank(int dev, Allocator* scratch, const RankBytes& b)
    : device(dev),
      compute(dev),
      comm(dev),
      flash_done(dev),
      acc_done(dev),
      kv_arrived(dev),
      grads_arrived(dev),
      done(dev),
      own_alloc_(scratch ? nullptr : std::make_unique<PeerDeviceAllocator>(dev)),
      alloc_(scratch ? scratch : own_alloc_.get()) {
  // The tracked allocator of rank 0 allocates on the current device.
  DeviceGuard on(device);
  q = take(b.q, "ring: Q shard");
  kv = take(b.kv, "ring: K|V shard");
  dout = take(b.dout, "ring: dO shard");
  o = take(b.o, "ring: O shard");
  lse = static_cast<float*>(take(b.lse, "ring: lse shard"));
  lse_upper = static_cast<float*>(take(b.lse_upper, "ring: lse of the shard's upper half"));
  o_acc = static_cast<float*>(take(b.o_acc, "ring: O accumulator"));
  o_step = take(b.o_step, "ring: O of one block");
  lse_step = static_cast<float*>(take(b.lse_step, "ring: lse of one block"));
  if (b.kv_slots > 0) {
    kv_slot[0] = take(b.kv_slots / 2, "ring: K|V receive slot 0");
    kv_slot[1] = take(b.kv_slots / 2, "ring: K|V receive slot 1");
  }
  dq_acc = static_cast<float*>(take(b.dq_acc, "ring: dQ accumulator"));
  grad_step = take(b.grad_step, "ring: dQ|dK|dV of one block");
  if (b.grad_slots > 0) {
    // One slot when the ring is a single GPU (the accumulator never travels), else two.
    const bool two = b.kv_slots > 0;
    const std::size_t slot = two ? b.grad_slots / 2 : b.grad_slots;
    grad_slot[0] = static_cast<float*>(take(slot, "ring: dK|dV accumulator slot 0"));
    if (two) grad_slot[1] = static_cast<float*>(take(slot, "ring: dK|dV accumulator slot 1"));
  }
  fwd_workspace = take(b.step_fwd_workspace, "ring: step forward workspace");
  bwd_workspace = take(b.step_bwd_workspace, "ring: step backward workspace");
  staging = take(b.staging, "ring: staging shard (rank 0)");
}

Rank::~Rank() {
  // Nothing may still read or write the buffers when they go back. Errors are ignored: noexcept path.
  int previous = -1;
  (void)cudaGetDevice(&previous);
  (void)cudaSetDevice(device);
  (void)cudaStreamSynchronize(compute.get());
  (void)cudaStreamSynchronize(comm.get());
  buffers_.clear();  // the tracked allocator of rank 0 frees on the current device
  (void)cudaSetDevice(previous);
}

void* Rank::take(std::size_t bytes, const char* what) {
  if (bytes == 0) return nullptr;
  buffers_.emplace_back(*alloc_, bytes, what);
  return buffers_.back().get();
}

}  // namespace fa::ring
