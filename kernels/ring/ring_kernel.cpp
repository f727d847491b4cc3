// Host glue of the ring family: the ring size and sharding, support checks, the scratch estimate and
// the cached NCCL communicators. The schedule is in ring_run.cpp.
#include "kernels/ring/ring_kernel.hpp"

#include <cuda_runtime_api.h>

#include <climits>
#include <stdexcept>
#include <string>

#include "core/cuda_check.hpp"
#include "kernels/ring/ring_comm.hpp"
#include "kernels/ring/ring_geometry.hpp"
#include "kernels/ring/ring_run.hpp"
#include "kernels/ring/ring_size.hpp"

namespace fa {
namespace ring {

namespace {

bool fits_int(std::int64_t v) { return v >= 1 && v <= INT_MAX; }

// The GPU that holds the harness's operands: ctx.device, except that the stream's own device wins
// where the two disagree (the operands and the stream were made on one device; a caller that leaves
// ExecContext::device at its default 0 while working on another GPU would otherwise put rank 0 of
// the ring on the wrong GPU and every event on ctx.stream would fail).
int home_device(const ExecContext& ctx) {
  if (ctx.stream == nullptr) return ctx.device;
  int device = ctx.device;
  FA_CUDA_CHECK(cudaStreamGetDevice(static_cast<cudaStream_t>(ctx.stream), &device));
  return device;
}

// summary(): rows have no field for the sharding a point used, so the kernel's description names the
// rule in force (FA_RING_SHARDING is fixed for the kernel object's life).
std::string describe(const std::optional<Sharding>& requested, const std::string& error) {
  std::string s = "ring attention across GPUs over NCCL; sharding: ";
  if (!error.empty()) return s + "none (bad FA_RING_SHARDING)";
  if (requested) return s + std::string(to_string(*requested)) + " (FA_RING_SHARDING)";
  return s + "zigzag (load-balanced) for causal when 2 x GPUs divides N, else contiguous";
}

}  // namespace

RingKernel::RingKernel() {
  // Not thrown here: the CLI creates kernels to ask supports() even on machines without a GPU.
  try {
    size_ = ring_size_from_environment();
  } catch (const std::invalid_argument& e) {
    size_error_ = e.what();
    size_error_is_usage_ = true;
  } catch (const std::exception& e) {
    size_error_ = e.what();
  }
  try {
    sharding_ = sharding_from_environment();
  } catch (const std::invalid_argument& e) {
    sharding_error_ = e.what();
  }
  summary_ = describe(sharding_, sharding_error_);
}

RingKernel::~RingKernel() = default;  // releases comm_ (communicators go with the last prepared run)

int RingKernel::ring_size() const {
  if (size_error_.empty()) return size_;
  if (size_error_is_usage_) throw std::invalid_argument(size_error_);
  throw std::runtime_error(size_error_);
}

Sharding RingKernel::sharding_for(const Problem& p) const {
  if (!sharding_error_.empty()) throw std::invalid_argument(sharding_error_);
  return ring::sharding_for(sharding_, p, ring_size());
}

Support RingKernel::supports(const Problem& p, Pass pass) const {
  if (const Support s = refuse_grouped_kv(name(), p); !s.ok) return s;  // shards and K/V passing assume H K/V heads
  if (const Support s = refuse_varlen(name(), p); !s.ok) return s;       // shards split one sequence per batch entry
  if (!size_error_.empty()) return Support::no(size_error_);
  if (!sharding_error_.empty()) return Support::no(sharding_error_);
  if (p.dtype != DType::fp16 && p.dtype != DType::bf16) return Support::no("ring takes fp16/bf16");
  if (!p.sparsity.is_dense()) return Support::no("ring: dense only (no block mask)");
  if (p.dropout != 0.0) {
    return Support::no(
        "ring: dropout not supported: the shared Philox mask is keyed on global row/col, which the per-block flash "
        "launches do not offset");
  }
  if (p.seqlen_q != p.seqlen_kv) {
    return Support::no("ring: self-attention only (seqlen_q == seqlen_kv): queries and keys are split into the same "
                       "shards");
  }
  if (!fits_int(p.batch) || !fits_int(p.heads) || !fits_int(p.seqlen_q)) {
    return Support::no("ring needs batch, heads and sequence length in [1, 2^31)");
  }
  if (p.seqlen_q % size_ != 0) {
    return Support::no("ring: sequence length " + std::to_string(p.seqlen_q) + " is not divisible by the " +
                       std::to_string(size_) + " GPUs of the ring (FA_RING_GPUS sets how many)");
  }
  if (const std::string why = sharding_unsupported_reason(sharding_, p, size_); !why.empty()) {
    return Support::no(why);
  }
  // Every ring step is a flash launch on at most one shard-sized block (zigzag: on half of its rows
  // on one side, which asks nothing more of flash than the whole block does).
  const flash::FlashBwdParams f = shard_flash_params(p, size_);
  if (const char* why = flash::flash_fwd_unsupported_reason(f); why[0] != '\0') {
    return Support::no(std::string("ring: ") + why);
  }
  if (pass != Pass::fwd) {
    if (const char* why = flash::flash_bwd_unsupported_reason(f); why[0] != '\0') {
      return Support::no(std::string("ring: ") + why);
    }
  }
  return Support::yes();
}

std::size_t RingKernel::workspace_bytes(const Problem& p, Pass pass) const {
  const int ranks = size_error_.empty() ? size_ : 1;  // an estimate even when the ring cannot run
  if (p.seqlen_q < ranks) return 0;
  // The sharding decides whether the backward needs the compact upper-half lse (ring_geometry.cpp).
  const Sharding sharding = ring::sharding_for(sharding_, p, ranks);
  const RingGeometry g = ring_geometry(p, pass, ranks, sharding);
  return rank_bytes(g, shard_flash_params(p, ranks), true).total();
}

std::unique_ptr<PreparedRun> RingKernel::prepare(const Problem& p, Pass pass, const Operands& ops,
                                                 const ExecContext& ctx) {
  const int ranks = ring_size();
  if (const Support s = supports(p, pass); !s.ok) throw std::invalid_argument(s.reason);
  int count = 0;
  FA_CUDA_CHECK(cudaGetDeviceCount(&count));
  const std::vector<int> devices = ring_devices(home_device(ctx), ranks, count);
  return std::make_unique<RingRun>(p, pass, ops, ctx, devices, ranks > 1 ? comm_for(devices) : nullptr,
                                   sharding_for(p));
}

std::shared_ptr<const RingComm> RingKernel::comm_for(const std::vector<int>& devices) {
  if (!comm_ || comm_->devices() != devices) comm_ = std::make_shared<const RingComm>(devices);
  return comm_;
}

}  // namespace ring

std::unique_ptr<AttentionKernel> make_ring_kernel() { return std::make_unique<ring::RingKernel>(); }

FamilyBuild ring_build() {
  return {.factory = &make_ring_kernel,
          .library_versions = [] { return std::vector<LibraryVersion>{{"nccl_version", ring::nccl_library_version()}}; }};
}

}  // namespace fa
