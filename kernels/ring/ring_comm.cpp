#include "kernels/ring/ring_comm.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>
#include <utility>

#include "core/cuda_check.hpp"
#include "kernels/ring/device_memory.hpp"
#include "kernels/ring/nccl_check.hpp"
#include "kernels/ring/ring_kernel.hpp"

namespace fa::ring {

namespace {

// Lets kernels on a read and write b's memory (NVLink / PCIe P2P) when the hardware allows; false
// otherwise (cudaMemcpyPeer then stages through the host: slower, still correct).
bool enable_peer_access(int a, int b) {
  int can = 0;
  FA_CUDA_CHECK(cudaDeviceCanAccessPeer(&can, a, b));
  if (!can) return false;
  DeviceGuard on(a);
  const cudaError_t e = cudaDeviceEnablePeerAccess(b, 0);
  if (e == cudaErrorPeerAccessAlreadyEnabled) {
    (void)cudaGetLastError();  // enabled earlier (by another ring, or by NCCL): fine
  } else {
    FA_CUDA_CHECK(e);
  }
  return true;
}

}  // namespace

RingComm::RingComm(std::vector<int> devices) : devices_(std::move(devices)) {
  if (devices_.size() < 2) throw std::invalid_argument("ring: a communicator needs at least two GPUs");
  // NVLink SHARP (multicast) must stay off on the lent machines; an explicit user setting is kept.
  setenv("NCCL_NVLS_ENABLE", "0", 0);
  rank0_reads_.assign(devices_.size(), true);
  for (int r = 1; r < size(); ++r) {
    rank0_reads_[r] = enable_peer_access(devices_[0], devices_[r]);
    (void)enable_peer_access(devices_[r], devices_[0]);  // faster peer copies of the input shards
  }
  comms_.assign(devices_.size(), nullptr);
  FA_NCCL_CHECK(ncclCommInitAll(comms_.data(), size(), devices_.data()));
  try {
    warm_up();
  } catch (...) {
    for (ncclComm_t c : comms_) (void)ncclCommDestroy(c);
    throw;
  }
}

RingComm::~RingComm() {
  // ncclCommDestroy waits for the communicator's outstanding operations; every run has been
  // synchronised by then (PreparedRun destructors), so this does not block for long.
  for (ncclComm_t c : comms_)
    if (c != nullptr) (void)ncclCommDestroy(c);
}

void RingComm::shift(const std::vector<const void*>& send, const std::vector<void*>& recv, std::size_t bytes,
                     const std::vector<cudaStream_t>& streams) const {
  const int p = size();
  FA_NCCL_CHECK(ncclGroupStart());
  try {
    for (int r = 0; r < p; ++r) {
      // Raw bytes: a shift moves whole buffers, whatever their element type.
      FA_NCCL_CHECK(ncclSend(send[r], bytes, ncclUint8, (r + 1) % p, comms_[r], streams[r]));
      FA_NCCL_CHECK(ncclRecv(recv[r], bytes, ncclUint8, (r + p - 1) % p, comms_[r], streams[r]));
    }
  } catch (...) {
    (void)ncclGroupEnd();  // leave no group open behind the exception
    throw;
  }
  FA_NCCL_CHECK(ncclGroupEnd());
}

void RingComm::warm_up() {
  // A shift of a few MiB uses the same P2P connections (every channel, both protocols) as the real
  // shifts, so NCCL sets them up here rather than in the first timed or captured run.
  constexpr std::size_t kBytes = std::size_t{4} << 20;
  const int p = size();
  std::vector<void*> bufs(2 * p, nullptr);
  std::vector<cudaStream_t> streams(p, nullptr);
  auto release = [&] {
    for (int r = 0; r < p; ++r) {
      DeviceGuard on(devices_[r]);
      if (streams[r]) (void)cudaStreamDestroy(streams[r]);
      (void)cudaFree(bufs[2 * r]);
      (void)cudaFree(bufs[2 * r + 1]);
    }
  };
  try {
    std::vector<const void*> send(p);
    std::vector<void*> recv(p);
    for (int r = 0; r < p; ++r) {
      DeviceGuard on(devices_[r]);
      FA_CUDA_CHECK(cudaStreamCreateWithFlags(&streams[r], cudaStreamNonBlocking));
      FA_CUDA_CHECK(cudaMalloc(&bufs[2 * r], kBytes));
      FA_CUDA_CHECK(cudaMalloc(&bufs[2 * r + 1], kBytes));
      FA_CUDA_CHECK(cudaMemsetAsync(bufs[2 * r], 0, kBytes, streams[r]));
      send[r] = bufs[2 * r];
      recv[r] = bufs[2 * r + 1];
    }
    shift(send, recv, kBytes, streams);
    shift(send, recv, 1024, streams);  // a small one too (the low-latency protocol)
    for (int r = 0; r < p; ++r) {
      DeviceGuard on(devices_[r]);
      FA_CUDA_CHECK(cudaStreamSynchronize(streams[r]));
    }
  } catch (...) {
    release();
    throw;
  }
  release();
}

std::string nccl_library_version() {
  int v = 0;
  // Metadata only: a failure is written down, never fatal to a run.
  if (const ncclResult_t r = ncclGetVersion(&v); r != ncclSuccess) {
    return std::string("unknown (ncclGetVersion: ") + ncclGetErrorString(r) + ")";
  }
  // e.g. 22809: major * 10000 + minor * 100 + patch
  return std::to_string(v / 10000) + "." + std::to_string(v % 10000 / 100) + "." + std::to_string(v % 100);
}

}  // namespace fa::ring
