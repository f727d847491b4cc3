#include "measure/point_runner.hpp"

#include <algorithm>
#include <exception>
#include <functional>
#include <memory>
#include <optional>

#include <fmt/core.h>

#include "core/flops.hpp"
#include "measure/device_memory.hpp"
#include "measure/fault_injection.hpp"
#include "measure/input_rotation.hpp"
#include "measure/launch_modes.hpp"
#include "measure/nvtx_range.hpp"
#include "measure/point_setup.hpp"
#include "measure/sample_loop.hpp"
#include "measure/stream.hpp"
#include "reference/masks.hpp"

#if FA_HAS_CUDA
#include <cuda_runtime_api.h>

#include "core/cuda_check.hpp"
#include "measure/sm_clock.hpp"
#endif

namespace fa {

std::uint64_t operand_bytes(const Problem& p, Pass pass, Backend backend) {
  const std::uint64_t eb = backend == Backend::host ? 8 : dtype_bytes(p.dtype);
  const std::uint64_t ob = backend == Backend::host ? 8 : output_bytes(p.dtype);  // O and gradients (fp8: bf16)
  const std::uint64_t lse_b = backend == Backend::host ? 8 : 4;
  const auto q = static_cast<std::uint64_t>(q_elements(p));
  const auto kv = static_cast<std::uint64_t>(kv_elements(p));
  std::uint64_t bytes = (q + 2 * kv) * eb + q * ob + static_cast<std::uint64_t>(p.batch * p.heads * p.seqlen_q) * lse_b;
  if (pass != Pass::fwd) bytes += (2 * q + 2 * kv) * ob;
  return bytes;
}

double point_visible_fraction(const Problem& p) {
  const std::optional<BlockMask> m = ref::problem_block_mask(p);
  if (!m) return visible_fraction(p, 1.0);
  return ref::visible_element_fraction(&*m, p.causal, p.heads, p.seqlen_q, p.seqlen_kv);
}

namespace {

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

// The SM clock now (MHz), for the clock at start and end of sampling; 0 without CUDA.
double sm_clock_now_mhz(void* stream) {
#if FA_HAS_CUDA
  return measure_sm_clock_mhz(stream);
#else
  (void)stream;
  return 0;
#endif
}

// Median of the known (positive) values; 0 when there are none.
double median_of(std::vector<double> v) {
  v.erase(std::remove_if(v.begin(), v.end(), [](double x) { return x <= 0; }), v.end());
  return summarize(v).median_ms;  // summarize is unit-agnostic; 0 for no values
}

void append_reason(Row& row, const std::string& note) {
  if (!note.empty()) row.reason += (row.reason.empty() ? "" : "; ") + note;
}

// What a row says before anything runs: the point, where it runs and what it costs.
Row point_row(const Point& pt, const AttentionKernel& kernel, const RunOptions& opt) {
  Row row;
  row.point = pt;
  const bool cuda = kernel.backend() == Backend::cuda;
  row.backend = std::string(to_string(kernel.backend()));
  row.device = cuda ? opt.device_name : "cpu";
  row.mask_density = point_visible_fraction(pt.problem);
  row.flops = dense_forward_flops(pt.problem) * pass_multiplier(pt.pass) * row.mask_density;
  row.mem_io_bytes = static_cast<double>(operand_bytes(pt.problem, pt.pass, kernel.backend()));
  return row;
}

// One point measured in phases, the order run_point calls them in. Each phase writes its columns of
// the row and leaves what the next one needs; a phase may throw (the row then says why).
class PointMeasurement {
 public:
  PointMeasurement(const Point& pt, AttentionKernel& kernel, const RunOptions& opt, Row& row)
      : pt_(pt), kernel_(kernel), opt_(opt), row_(row), cuda_(kernel.backend() == Backend::cuda) {}

  // Operands and scratch fit in the GPU's free memory; otherwise the row is `oom` and the point ends.
  bool fits_in_memory() {
    if (!cuda_) return true;
    const double need = *row_.mem_io_bytes + static_cast<double>(kernel_.workspace_bytes(pt_.problem, pt_.pass));
    const std::string shortfall = memory_shortfall(need, opt_.device);
    if (shortfall.empty()) return true;
    row_.status = Status::oom;
    row_.reason = shortfall;
    return false;
  }

  // --check: correctness first, on its own small-enough inputs with poisoned outputs (untimed).
  void check_correctness() {
    if (!opt_.check) return;
    const VerifyResult v = verify_point(kernel_, pt_, opt_.verify);
    row_.check_note = v.note;
    if (!v.skipped) {
      row_.max_rel_error = v.max_rel_error;
      row_.tolerance = v.tolerance;
    }
  }

  // The stream, the sampler, the operands and the prepared run, and how one invocation is launched.
  void set_up() {
    stream_.emplace(cuda_);
    sampler_.emplace(kernel_.backend(), stream_->get(), opt_.mode, opt_.device);
    row_.timing_mode = sampler_->mode_name();
    usage_.emplace(cuda_, opt_.device);
    mask_ = ref::problem_block_mask(pt_.problem);
    setup_ = std::make_unique<PointSetup>(kernel_, pt_, mask_ ? &*mask_ : nullptr, PointInputs{opt_.data_seed},
                                          place());
    usage_->note();
    setup_->prepare();
    usage_->note();
    invocation_ = launch_for_timing(opt_.mode, opt_.graph, cuda_, setup_->run(), stream_->get());
    launch_ = [this] { invocation_->launch(); };
    timed_ = launch_;
  }

  void warm_up() { fa::warm_up(*sampler_, launch_, opt_.warmup_max_s, [this] { usage_->note(); }); }

  // Cold timing of operands that fit in L2: more copies, made after the memory readings above so the
  // row's peaks stay one invocation's.
  void rotate_inputs() {
    if (!cuda_) return;
    const int want = input_rotation_copies(setup_->operands().bytes(), l2_cache_bytes(opt_.device), opt_.mode);
    rotation_ = std::make_unique<InputRotation>(kernel_, pt_, mask_ ? &*mask_ : nullptr, opt_.data_seed, place(), want);
    if (rotation_->copies() == 1) return;
    timed_ = [this] { rotation_->launch(setup_->run()); };
    row_.timing_mode += " (" + std::to_string(rotation_->copies()) + " input copies rotated)";
  }

  // TEST-ONLY slowdown of matching points (off unless two environment variables turn it on:
  // measure/fault_injection.hpp), then --min-warmup.
  void settle() {
    injected_ = fault_injection::inject_slowdown(pt_, *sampler_, stream_->get(), cuda_, timed_);
    settle_clock(*sampler_, timed_, opt_.min_warmup_s);
  }

  void sample() {
    if (cuda_) row_.sm_clock_start_mhz = sm_clock_now_mhz(stream_->get());
    {
      NvtxRange range(point_label(pt_), cuda_);
      series_ = sample_until_stopped(*sampler_, timed_, opt_.rule, opt_.throttle, opt_.sample_gap);
    }
    if (!rotating()) usage_->note();
    if (cuda_) {
      row_.sm_clock_end_mhz = sm_clock_now_mhz(stream_->get());
      // Flag, never fix: clocks are left as the machine has them.
      if (row_.sm_clock_end_mhz < 0.9 * row_.sm_clock_start_mhz) {
        row_.reason = fmt::format("throttled: SM clock fell from {:.0f} to {:.0f} MHz during sampling",
                                  row_.sm_clock_start_mhz, row_.sm_clock_end_mhz);
      }
    }
    std::string mode_note = invocation_->note();
    if (!sampler_->hold_note().empty()) mode_note += (mode_note.empty() ? "" : "; ") + sampler_->hold_note();
    if (!mode_note.empty()) row_.timing_mode += " (" + mode_note + ")";
    record_samples();
  }

  // HBM traffic: the IO model's prediction, and the counters over one more invocation (replayed once
  // per counter pass; run() is re-runnable by contract).
  void read_counters() {
    const IoPrediction prediction = predict_io(pt_, kernel_.name(), opt_.io);
    if (prediction.modelled) row_.io_model_bytes = prediction.hbm_bytes;
    if (!cuda_) {
      row_.counters_note = "host kernel: no GPU counters";
    } else if (opt_.counters) {
      apply_counters(opt_.counters->measure(point_label(pt_), launch_), row_);
    } else {
      row_.counters_note = opt_.counters_off;
    }
  }

  // The columns derived from the others, and the verdicts: a failed check, an injected slowdown.
  void annotate() {
    const IoDerived derived = derive_io(row_, opt_.io);
    row_.achieved_hbm_gbps = derived.achieved_hbm_gbps;
    row_.arithmetic_intensity = derived.arithmetic_intensity;
    row_.pct_peak_bandwidth = derived.pct_peak_bandwidth;
    row_.pct_peak_flops = derived.pct_peak_flops;
    if (row_.max_rel_error && row_.tolerance && *row_.max_rel_error > *row_.tolerance) {
      row_.status = Status::error;
      row_.reason = "correctness check failed: " + row_.check_note;
    }
    append_reason(row_, injected_);
    append_reason(row_, kernel_.point_note(pt_.problem, pt_.pass));
  }

 private:
  PointPlace place() const { return PointPlace{stream_->get(), opt_.device}; }
  bool rotating() const { return rotation_ && rotation_->copies() > 1; }

  void record_samples() {
    append_reason(row_, series_.throttle_note);
    row_.samples_dropped = series_.dropped;
    row_.sm_clock_sample_mhz = median_of(series_.clock_mhz);
    row_.samples_clock_mhz = cuda_ ? std::move(series_.clock_mhz) : std::vector<double>{};
    row_.time = summarize(series_.ms);
    row_.samples_ms = std::move(series_.ms);
    row_.tflops = row_.time.median_ms > 0 ? row_.flops / (row_.time.median_ms * 1e-3) / 1e12 : 0;
    row_.mem_scratch_peak_bytes = static_cast<double>(setup_->scratch().peak_bytes());
    if (const std::optional<double> peak = usage_->peak_above_start()) row_.mem_device_peak_bytes = *peak;
  }

  const Point& pt_;
  AttentionKernel& kernel_;
  const RunOptions& opt_;
  Row& row_;
  const bool cuda_;
  // Declared in the order they are made, so that each is released before what it uses.
  std::optional<StreamHandle> stream_;
  std::optional<Sampler> sampler_;
  std::optional<DeviceUsageWatch> usage_;
  std::optional<BlockMask> mask_;
  std::unique_ptr<PointSetup> setup_;
  std::unique_ptr<InvocationLaunch> invocation_;
  std::function<void()> launch_;  // one invocation: what warm-up and the counters run
  std::unique_ptr<InputRotation> rotation_;
  std::function<void()> timed_;  // what a sample times: launch_, or the rotation, maybe slowed down
  std::string injected_;
  SampleSeries series_;
};

}  // namespace

Row run_point(const Point& pt, AttentionKernel* kernel, const RunOptions& opt, const std::string& unavailable_reason) {
  if (!kernel) {
    Row row;
    row.point = pt;
    row.status = Status::unsupported;
    row.reason = unavailable_reason.empty() ? "kernel not available in this build" : unavailable_reason;
    return row;
  }
  Row row = point_row(pt, *kernel, opt);
  const Support sup = kernel->supports(pt.problem, pt.pass);
  if (!sup.ok) {
    row.status = Status::unsupported;
    row.reason = sup.reason;
    return row;
  }
  row.dropout_used = applied_dropout(*kernel, pt.problem);
  try {
    PointMeasurement m(pt, *kernel, opt, row);
    if (!m.fits_in_memory()) return row;
    m.check_correctness();
    m.set_up();
    m.warm_up();
    m.rotate_inputs();
    m.settle();
    m.sample();
    m.read_counters();
    m.annotate();
  } catch (const OutOfMemory& e) {
    row.status = Status::oom;
    row.reason = allocation_failure_text(e);
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
