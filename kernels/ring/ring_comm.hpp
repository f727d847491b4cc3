#pragma once
// The NCCL side of the ring: one communicator per GPU of this process (ncclCommInitAll), and the
// one collective pattern the ring needs, a shift: every rank sends a buffer to its successor and
// receives the same number of bytes from its predecessor.
#include <cuda_runtime_api.h>
#include <nccl.h>

#include <cstddef>
#include <vector>

namespace fa::ring {

class RingComm {
 public:
  // Rank r of the ring is devices[r]; at least two devices. Sets NCCL_NVLS_ENABLE=0 unless the user
  // set it (the lent machines require NVLink multicast off), enables peer access between rank 0 and
  // the others where the hardware allows (the output shards come back that way), creates the
  // communicators and does one small shift so that NCCL's lazy peer connections are made here,
  // outside any timed region or graph capture.
  explicit RingComm(std::vector<int> devices);
  ~RingComm();
  RingComm(const RingComm&) = delete;
  RingComm& operator=(const RingComm&) = delete;

  const std::vector<int>& devices() const { return devices_; }
  int size() const { return static_cast<int>(devices_.size()); }

  // Whether kernels on rank 0's GPU can read rank r's memory directly (peer access enabled): the
  // output shards then come back by a kernel on rank 0 that reads them in place, which, unlike
  // cudaMemcpyPeerAsync, stream capture takes. True for r = 0.
  bool rank0_reads(int r) const { return rank0_reads_[r]; }

  // Rank r sends `bytes` from send[r] to rank r+1 and receives `bytes` from rank r-1 into recv[r],
  // on streams[r] (a stream of devices[r]). All ranks' operations are in one NCCL group: with one
  // thread driving every GPU, a send and its matching receive must be posted together.
  // Enqueues only; ordering with other work is the caller's (CUDA events on the streams).
  void shift(const std::vector<const void*>& send, const std::vector<void*>& recv, std::size_t bytes,
             const std::vector<cudaStream_t>& streams) const;

 private:
  void warm_up();

  std::vector<int> devices_;
  std::vector<ncclComm_t> comms_;
  std::vector<bool> rank0_reads_;
};

}  // namespace fa::ring
