#include "measure/point_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <functional>
#include <thread>

#include <fmt/core.h>
#include <optional>

#include "core/flops.hpp"
#include "measure/fault_injection.hpp"
#include "measure/graph_launch.hpp"
#include "measure/input_rotation.hpp"
#include "measure/operands.hpp"
#include "measure/stream.hpp"
#include "measure/tracking_allocator.hpp"
#include "reference/masks.hpp"

#if FA_HAS_CUDA
#include <cuda_runtime_api.h>
#include <nvtx3/nvToolsExt.h>

#include "core/cuda_check.hpp"
#include "measure/device_pool.hpp"
#include "measure/sm_clock.hpp"
#endif

namespace fa {

std::uint64_t operand_bytes(const Problem& p, Pass pass, Backend backend) {
  const std::uint64_t eb = backend == Backend::host ? 8 : dtype_bytes(p.dtype);
  const std::uint64_t lse_b = backend == Backend::host ? 8 : 4;
  const auto q = static_cast<std::uint64_t>(q_elements(p));
  const auto kv = static_cast<std::uint64_t>(kv_elements(p));
  std::uint64_t bytes = (2 * q + 2 * kv) * eb + static_cast<std::uint64_t>(p.batch * p.heads * p.seqlen_q) * lse_b;
  if (pass != Pass::fwd) bytes += (2 * q + 2 * kv) * eb;
  return bytes;
}

double point_visible_fraction(const Problem& p) {
  if (p.sparsity.is_dense()) return visible_fraction(p, 1.0);
  const BlockMask m = ref::make_block_mask(p.sparsity, p.heads, p.seqlen_q, p.seqlen_kv, p.seed);
  return ref::visible_element_fraction(&m, p.causal, p.heads, p.seqlen_q, p.seqlen_kv);
}

namespace {

// Device memory in use (bytes), for the device-wide peak that includes library-internal allocations.
// What the harness's pool holds unused is free memory, not the point's (measure/device_pool.hpp).
std::optional<std::uint64_t> device_used_bytes(int device) {
#if FA_HAS_CUDA
  std::size_t free_b = 0, total_b = 0;
  if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) return std::nullopt;
  const std::uint64_t used = total_b - free_b, slack = device_pool::slack_bytes(device);
  return used > slack ? used - slack : 0;
#else
  (void)device;
  return std::nullopt;
#endif
}

// RAII NVTX range so ncu --nvtx-include can select exactly this point's work.
struct NvtxRange {
  explicit NvtxRange(const std::string& name, bool on) : on_(on) {
#if FA_HAS_CUDA
    if (on_) nvtxRangePushA(name.c_str());
#endif
  }
  ~NvtxRange() {
#if FA_HAS_CUDA
    if (on_) nvtxRangePop();
#endif
  }
  bool on_;
};

// One more copy of a point's operands (and the prepared run that reads them) for input rotation.
// Its memory is not the point's: the row reports one invocation's operands and scratch.
struct InputCopy {
  DeviceTrackingAllocator io, scratch;
  std::unique_ptr<OperandSet> ops;
  std::unique_ptr<PreparedRun> run;
};

std::uint64_t l2_cache_bytes(int device) {
#if FA_HAS_CUDA
  int l2 = 0;
  FA_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, device));
  return static_cast<std::uint64_t>(std::max(l2, 0));
#else
  (void)device;
  return 0;
#endif
}

// Median of the known (positive) values; 0 when there are none.
double median_of(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return x <= 0; }), v.end());
  return summarize(v).median_ms;  // summarize is unit-agnostic; 0 for no values
}

std::string gib(double bytes) {
  char b[64];
  std::snprintf(b, sizeof b, "%.2f GiB", bytes / 1073741824.0);
  return b;
}

}  // namespace

Row run_point(const Point& pt, AttentionKernel* kernel, const RunOptions& opt, const std::string& unavailable_reason) {
  Row row;
  row.point = pt;
  const Problem& p = pt.problem;
  if (!kernel) {
    row.status = Status::unsupported;
    row.reason = unavailable_reason.empty() ? "kernel not available in this build" : unavailable_reason;
    return row;
  }
  const bool cuda = kernel->backend() == Backend::cuda;
  row.backend = std::string(to_string(kernel->backend()));
  row.device = cuda ? opt.device_name : "cpu";
  row.mask_density = point_visible_fraction(p);
  row.flops = dense_forward_flops(p) * pass_multiplier(pt.pass) * row.mask_density;
  row.mem_io_bytes = static_cast<double>(operand_bytes(p, pt.pass, kernel->backend()));

  const Support sup = kernel->supports(p, pt.pass);
  if (!sup.ok) {
    row.status = Status::unsupported;
    row.reason = sup.reason;
    return row;
  }
  row.dropout_used = applied_dropout(*kernel, p);

  try {
#if FA_HAS_CUDA
    if (cuda) {
      FA_CUDA_CHECK(cudaSetDevice(opt.device));
      std::size_t free_b = 0, total_b = 0;
      FA_CUDA_CHECK(cudaMemGetInfo(&free_b, &total_b));
      free_b += device_pool::slack_bytes(opt.device);
      const double need = *row.mem_io_bytes + static_cast<double>(kernel->workspace_bytes(p, pt.pass));
      if (need > static_cast<double>(free_b)) {
        row.status = Status::oom;
        row.reason = "needs " + gib(need) + ", " + gib(static_cast<double>(free_b)) + " free";
        return row;
      }
    }
#endif
    // Correctness first (own small-enough inputs and poisoned outputs), then timing.
    if (opt.check) {
      const VerifyResult v = verify_point(*kernel, pt, opt.verify);
      row.check_note = v.note;
      if (!v.skipped) {
        row.max_rel_error = v.max_rel_error;
        row.tolerance = v.tolerance;
      }
    }

    StreamHandle stream(cuda);
    Sampler sampler(kernel->backend(), stream.get(), opt.mode, opt.device);
    row.timing_mode = sampler.mode_name();
    const std::optional<std::uint64_t> used_at_start = cuda ? device_used_bytes(opt.device) : std::nullopt;
    const std::uint64_t used0 = used_at_start.value_or(0);
    std::uint64_t used_peak = used0;
    auto note_used = [&] {
      if (auto u = cuda ? device_used_bytes(opt.device) : std::nullopt) used_peak = std::max(used_peak, *u);
    };

    HostTrackingAllocator host_alloc;
    DeviceTrackingAllocator dev_io, dev_scratch;
    HostTrackingAllocator host_scratch;
    Allocator& io = cuda ? static_cast<Allocator&>(dev_io) : static_cast<Allocator&>(host_alloc);
    TrackingAllocator& scratch = cuda ? static_cast<TrackingAllocator&>(dev_scratch)
                                      : static_cast<TrackingAllocator&>(host_scratch);
    std::optional<BlockMask> mask;
    if (!p.sparsity.is_dense()) mask = ref::make_block_mask(p.sparsity, p.heads, p.seqlen_q, p.seqlen_kv, p.seed);
    OperandSet ops(p, pt.pass, kernel->backend(), io, mask ? &*mask : nullptr);
    ops.fill_random(opt.data_seed, stream.get());
    note_used();

    ExecContext ctx{stream.get(), &scratch, opt.device};
    std::unique_ptr<PreparedRun> run = kernel->prepare(p, pt.pass, ops.ops(), ctx);
    note_used();
    std::function<void()> launch = [&] { run->run(); };
    GraphLaunch graph;
    std::string mode_note;
    if (cuda && opt.mode == TimingMode::hot && opt.graph) {
      std::string why;
      if (graph.capture(stream.get(), launch, &why)) {
        launch = [&] { graph.launch(stream.get()); };
        mode_note = "cuda graph";
      } else {
        mode_note = "graph capture failed (" + why + "); timed plain launches";
      }
    }

    // Warm-up: at least one launch (module load, handles, lazy allocations stay out of the numbers),
    // then until two consecutive samples agree within 5% or the warm-up budget is spent.
    {
      const auto w0 = std::chrono::steady_clock::now();
      double prev = sampler.sample_ms(launch);
      note_used();
      while (std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count() < opt.warmup_max_s) {
        const double t = sampler.sample_ms(launch);
        if (std::fabs(t - prev) <= 0.05 * prev) break;
        prev = t;
      }
    }

    // Input rotation (cold mode, operands that fit in L2): more copies of the operands, each prepared
    // and run once here, made after the memory readings above so the row's peaks stay one invocation's.
    std::vector<std::unique_ptr<InputCopy>> copies;
    std::function<void()> timed = launch;
    bool rotating = false;
    if (cuda) {
      const int want = input_rotation_copies(ops.bytes(), l2_cache_bytes(opt.device), opt.mode);
      for (int i = 1; i < want; ++i) {
        auto c = std::make_unique<InputCopy>();
        try {
          c->ops = std::make_unique<OperandSet>(p, pt.pass, kernel->backend(), c->io, mask ? &*mask : nullptr);
          c->ops->fill_random(opt.data_seed + static_cast<std::uint64_t>(i), stream.get());
          ExecContext cctx{stream.get(), &c->scratch, opt.device};
          c->run = kernel->prepare(p, pt.pass, c->ops->ops(), cctx);
          c->run->run();
        } catch (const OutOfMemory&) {
          break;  // rotate through the copies that fit; the flush still runs before every sample
        }
        copies.push_back(std::move(c));
      }
      if (!copies.empty()) {
        rotating = true;
        timed = [&, turn = std::size_t{0}]() mutable {
          const std::size_t i = turn++ % (copies.size() + 1);
          if (i == 0) {
            run->run();
          } else {
            copies[i - 1]->run->run();
          }
        };
        row.timing_mode += " (" + std::to_string(copies.size() + 1) + " input copies rotated)";
      }
    }

    // TEST-ONLY: a deliberate slowdown of matching points, for measuring the regression gate; off
    // unless two environment variables turn it on (measure/fault_injection.hpp).
    const std::string injected = fault_injection::inject_slowdown(pt, sampler, stream.get(), cuda, timed);

    if (opt.min_warmup_s > 0) {
      const auto s0 = std::chrono::steady_clock::now();
      while (std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count() < opt.min_warmup_s) {
        (void)sampler.sample_ms(timed);
      }
    }

#if FA_HAS_CUDA
    if (cuda) row.sm_clock_start_mhz = measure_sm_clock_mhz(stream.get());
#endif
    const std::string label = point_label(pt);
    std::vector<double> samples, clocks;
    ThrottleScreen screen(opt.throttle);
    const auto t0 = std::chrono::steady_clock::now();
    {
      NvtxRange range(label, cuda);
      for (;;) {
        const double ms = sampler.sample_ms(timed);
        const ThrottleScreen::Decision d = screen.judge(sampler.last_clock_mhz());
        if (d.keep) {
          samples.push_back(ms);
          clocks.push_back(sampler.last_clock_mhz());
        } else {
          std::this_thread::sleep_for(std::chrono::duration<double>(d.wait_s));
        }
        if (opt.sample_gap > 0) std::this_thread::sleep_for(std::chrono::duration<double>(opt.sample_gap * ms * 1e-3));
        const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (should_stop(opt.rule, samples, elapsed) != StopReason::none) break;
      }
    }
    if (!rotating) note_used();
#if FA_HAS_CUDA
    if (cuda) {
      row.sm_clock_end_mhz = measure_sm_clock_mhz(stream.get());
      // Flag, never fix: clocks are left as the machine has them.
      if (row.sm_clock_end_mhz < 0.9 * row.sm_clock_start_mhz) {
        row.reason = fmt::format("throttled: SM clock fell from {:.0f} to {:.0f} MHz during sampling",
                                 row.sm_clock_start_mhz, row.sm_clock_end_mhz);
      }
    }
#endif
    if (!sampler.hold_note().empty()) mode_note += (mode_note.empty() ? "" : "; ") + sampler.hold_note();
    if (!mode_note.empty()) row.timing_mode += " (" + mode_note + ")";
    if (const std::string n = screen.note(); !n.empty()) row.reason += (row.reason.empty() ? "" : "; ") + n;
    row.samples_dropped = screen.dropped();
    row.sm_clock_sample_mhz = median_of(clocks);
    row.samples_clock_mhz = cuda ? std::move(clocks) : std::vector<double>{};
    row.time = summarize(samples);
    row.samples_ms = std::move(samples);
    row.tflops = row.time.median_ms > 0 ? row.flops / (row.time.median_ms * 1e-3) / 1e12 : 0;
    row.mem_scratch_peak_bytes = static_cast<double>(scratch.peak_bytes());
    if (used_at_start) row.mem_device_peak_bytes = static_cast<double>(used_peak - used0);
    // HBM traffic: the IO model's prediction, and the counters over one more invocation (replayed
    // once per counter pass; run() is re-runnable by contract).
    const IoPrediction prediction = predict_io(pt, kernel->name(), opt.io);
    if (prediction.modelled) row.io_model_bytes = prediction.hbm_bytes;
    if (cuda) {
      if (opt.counters) {
        apply_counters(opt.counters->measure(label, launch), row);
      } else {
        row.counters_note = opt.counters_off;
      }
    } else {
      row.counters_note = "host kernel: no GPU counters";
    }
    const IoDerived derived = derive_io(row, opt.io);
    row.achieved_hbm_gbps = derived.achieved_hbm_gbps;
    row.arithmetic_intensity = derived.arithmetic_intensity;
    row.pct_peak_bandwidth = derived.pct_peak_bandwidth;
    row.pct_peak_flops = derived.pct_peak_flops;
    if (row.max_rel_error && row.tolerance && *row.max_rel_error > *row.tolerance) {
      row.status = Status::error;
      row.reason = "correctness check failed: " + row.check_note;
    }
    if (!injected.empty()) row.reason += (row.reason.empty() ? "" : "; ") + injected;
  } catch (const OutOfMemory& e) {
    row.status = Status::oom;
    row.reason = "allocation of " + gib(static_cast<double>(e.bytes)) + " failed (" + e.where + ")";
  } catch (const std::exception& e) {
    row.status = Status::error;
    row.reason = e.what();
#if FA_HAS_CUDA
    (void)cudaGetLastError();
#endif
  }
  return row;
}

}  // namespace fa
