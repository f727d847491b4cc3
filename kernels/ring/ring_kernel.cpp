// Host glue of the ring family: the ring size, sharding and step kernels, support checks, the scratch
// estimate and the cached NCCL communicators. The schedule is in ring_run.cpp.
#include "kernels/ring/ring_kernel.hpp"

#include <cuda_runtime_api.h>

#include <climits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

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

// The current device (the harness's, outside prepare()), 0 when none can be asked.
int current_device() {
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return device;
}

// The step kernels of `p` on a ring of `ranks` GPUs from `home` on (none visible: the choice says so).
StepKernels choose_on(std::optional<StepKernel> requested, const Problem& p, Pass pass, int ranks, int home) {
  int count = 0;
  std::vector<int> devices;
  if (cudaGetDeviceCount(&count) == cudaSuccess && count > 0) {
    devices = ring_devices(home, ranks, count);
  } else {
    (void)cudaGetLastError();
  }
  return choose_step_kernels(requested, shard_flash_params(p, ranks), pass, devices);
}

// summary(): rows have no field for the sharding a point used, so the kernel's description names the
// rule in force (FA_RING_SHARDING is fixed for the kernel object's life); the step kernels likewise,
// though each row's notes also say which ran.
std::string describe(const std::optional<Sharding>& requested, const std::string& error,
                     const std::optional<StepKernel>& steps, const std::string& steps_error) {
  std::string s = "ring attention across GPUs over NCCL; sharding: ";
  if (!error.empty()) {
    s += "none (bad FA_RING_SHARDING)";
  } else if (requested) {
    s += std::string(to_string(*requested)) + " (FA_RING_SHARDING)";
  } else {
    s += "zigzag (load-balanced) for causal when 2 x GPUs divides N, else contiguous";
  }
  s += "; steps: ";
  if (!steps_error.empty()) return s + "none (bad FA_RING_STEPS)";
  if (steps) return s + std::string(to_string(*steps)) + " (FA_RING_STEPS)";
  return s + "flash3 on sm_90 where it takes the shard, else flash";
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
  try {
    steps_ = step_kernel_from_environment();
  } catch (const std::invalid_argument& e) {
    steps_error_ = e.what();
  }
  summary_ = describe(sharding_, sharding_error_, steps_, steps_error_);
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

StepKernels RingKernel::step_kernels_for(const Problem& p, Pass pass, int home) const {
  if (!steps_error_.empty()) throw std::invalid_argument(steps_error_);
  return choose_on(steps_, p, pass, ring_size(), home);
}

std::string RingKernel::steps_unsupported_reason(const Problem& p, Pass pass) const {
  if (steps_ != StepKernel::flash3) return "";  // flash runs whatever supports() let through
  return step_kernels_unsupported_reason(steps_, step_kernels_for(p, pass, current_device()), pass);
}

std::string RingKernel::point_note(const Problem& p, Pass pass) const {
  if (prepared_steps_ && prepared_steps_->problem == p && prepared_steps_->pass == pass) {
    return step_note(prepared_steps_->steps, pass);
  }
  if (!supports(p, pass).ok) return "";
  return step_note(step_kernels_for(p, pass, current_device()), pass);
}

Support RingKernel::supports(const Problem& p, Pass pass) const {
  if (const Support s = refuse_grouped_kv(name(), p); !s.ok) return s;  // shards and K/V passing assume H K/V heads
  if (const Support s = refuse_varlen(name(), p); !s.ok) return s;       // shards split one sequence per batch entry
  if (!size_error_.empty()) return Support::no(size_error_);
  if (!sharding_error_.empty()) return Support::no(sharding_error_);
  if (!steps_error_.empty()) return Support::no(steps_error_);
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
  // FA_RING_STEPS=flash3 asks flash3 to take what flash would: refused where it cannot, not replaced.
  if (const std::string why = steps_unsupported_reason(p, pass); !why.empty()) return Support::no(why);
  return Support::yes();
}

std::size_t RingKernel::workspace_bytes(const Problem& p, Pass pass) const {
  const int ranks = size_error_.empty() ? size_ : 1;  // an estimate even when the ring cannot run
  if (p.seqlen_q < ranks) return 0;
  // The sharding decides whether the backward needs the compact upper-half lse (ring_geometry.cpp).
  const Sharding sharding = ring::sharding_for(sharding_, p, ranks);
  const RingGeometry g = ring_geometry(p, pass, ranks, sharding);
  // The step kernels' scratch differs: as prepare() would choose on the current device.
  const StepKernels steps =
      steps_error_.empty() ? choose_on(steps_, p, pass, ranks, current_device()) : StepKernels{};
  return rank_bytes(g, shard_flash_params(p, ranks), steps, true).total();
}

std::unique_ptr<PreparedRun> RingKernel::prepare(const Problem& p, Pass pass, const Operands& ops,
                                                 const ExecContext& ctx) {
  const int ranks = ring_size();
  if (const Support s = supports(p, pass); !s.ok) throw std::invalid_argument(s.reason);
  int count = 0;
  FA_CUDA_CHECK(cudaGetDeviceCount(&count));
  const int home = home_device(ctx);
  const std::vector<int> devices = ring_devices(home, ranks, count);
  // Chosen once per point, here, outside the timed region; point_note() says which.
  StepKernels steps = step_kernels_for(p, pass, home);
  if (const std::string why = step_kernels_unsupported_reason(steps_, steps, pass); !why.empty()) {
    throw std::invalid_argument(why);  // FA_RING_STEPS=flash3 on a ring whose GPUs differ from the current one
  }
  prepared_steps_ = PreparedSteps{p, pass, steps};
  return std::make_unique<RingRun>(p, pass, ops, ctx, devices, ranks > 1 ? comm_for(devices) : nullptr,
                                   sharding_for(p), std::move(steps));
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
