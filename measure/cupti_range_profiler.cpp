// CounterSession on the CUPTI Range Profiler, in the call order that worked on the H100 (see
// docs/perf/counters-notes.md):
//   create:  context -> cuptiProfilerInitialize -> device support -> chip name -> counter
//            availability -> cuptiRangeProfilerEnable -> host object + metrics -> config image ->
//            counter data image size.
//   measure: counter data image init -> SetConfig(user range, user replay) -> per pass: [scrub L2]
//            Start, PushRange, work, PopRange, [PushRange drain, scrub L2, PopRange], Stop until
//            all passes are submitted -> DecodeData -> EvaluateToGpuValues per range.
// Every CUPTI call's result is checked; a failure becomes the reason/note, never a crash.
#if FA_HAS_CUDA
#include "measure/cupti_range_profiler.hpp"

#include <cuda.h>  // types only (CUcontext, CUdevice): libcuda is reached through the runtime
#include <cuda_runtime_api.h>
#include <cupti_profiler_host.h>
#include <cupti_profiler_target.h>
#include <cupti_range_profiler.h>
#include <cupti_target.h>

#include <cstdint>
#include <cstdio>
#include <exception>
#include <mutex>
#include <string>
#include <vector>

#include "measure/counters_l2_scrub.hpp"
#include "measure/cupti_check.hpp"

namespace fa::cupti {
namespace {

// Second range of a pass under CounterOptions::cold_l2: the L2 drain after the work.
constexpr const char* kDrainRange = "fa-bench L2 drain";

std::string cuda_failure(const char* call, cudaError_t e) {
  return std::string(call) + " failed: " + cudaGetErrorName(e) + " (" + cudaGetErrorString(e) + ")";
}

// A driver API function from the runtime's loaded driver (no link-time libcuda dependency).
template <class Fn>
bool driver_fn(const char* name, Fn* fn, std::string* why) {
  void* p = nullptr;
  cudaDriverEntryPointQueryResult q = cudaDriverEntryPointSymbolNotFound;
  const cudaError_t e = cudaGetDriverEntryPointByVersion(name, &p, 12000, cudaEnableDefault, &q);
  if (e != cudaSuccess || q != cudaDriverEntryPointSuccess || !p) {
    *why = std::string("driver entry point ") + name + " unavailable" +
           (e != cudaSuccess ? ": " + cuda_failure("cudaGetDriverEntryPointByVersion", e) : "");
    return false;
  }
  *fn = reinterpret_cast<Fn>(p);
  return true;
}

// cuptiProfilerInitialize once per process; later sessions get the same outcome.
bool profiler_initialized(std::string* why) {
  static std::once_flag once;
  static std::string failure_reason;
  std::call_once(once, [] {
    CUpti_Profiler_Initialize_Params p{CUpti_Profiler_Initialize_Params_STRUCT_SIZE, nullptr};
    const CUptiResult r = cuptiProfilerInitialize(&p);
    if (r != CUPTI_SUCCESS) failure_reason = failure("cuptiProfilerInitialize", r);
  });
  if (failure_reason.empty()) return true;
  *why = failure_reason;
  return false;
}

std::string support_level_problems(const CUpti_Profiler_DeviceSupported_Params& s) {
  std::string out;
  auto add = [&](const char* what, CUpti_Profiler_Support_Level l) {
    if (l == CUPTI_PROFILER_CONFIGURATION_SUPPORTED) return;
    if (!out.empty()) out += ", ";
    out += what;
    out += l == CUPTI_PROFILER_CONFIGURATION_DISABLED ? " disabled" : " unsupported";
  };
  add("architecture", s.architecture);
  add("SLI", s.sli);
  add("vGPU", s.vGpu);
  add("confidential computing", s.confidentialCompute);
  add("CMP", s.cmp);
  add("WSL", s.wsl);
  return out.empty() ? "unsupported configuration" : out;
}

class RangeProfilerSession final : public CounterSession {
 public:
  RangeProfilerSession(int device, std::vector<std::string> metrics, const CounterOptions& options)
      : device_(device), metrics_(std::move(metrics)), cold_l2_(options.cold_l2) {
    for (const std::string& m : metrics_) names_.push_back(m.c_str());
  }

  ~RangeProfilerSession() override {
    if (rp_) {
      CUpti_RangeProfiler_Disable_Params p{CUpti_RangeProfiler_Disable_Params_STRUCT_SIZE, nullptr, rp_};
      if (const CUptiResult r = cuptiRangeProfilerDisable(&p); r != CUPTI_SUCCESS)
        std::fprintf(stderr, "fa-bench: %s\n", failure("cuptiRangeProfilerDisable", r).c_str());
    }
    deinit_host(host_);
  }

  // Returns false with *why set when counters cannot be read.
  bool open(std::string* why) {
    CUdevice cu_device = 0;
    return open_context(&cu_device, why) && profiler_initialized(why) && check_support(cu_device, why) &&
           enable(why) && build_config(why) && size_counter_data(why);
  }

  CounterValues measure(const std::string& range_name, const std::function<void()>& launch_once,
                        const std::function<void()>& before_each_pass) override {
    CounterValues out;
    if (!broken_.empty()) {
      out.note = "counter session unusable: " + broken_;
      return out;
    }
    if (const cudaError_t e = cudaSetDevice(device_); e != cudaSuccess) {
      out.note = cuda_failure("cudaSetDevice", e);
      return out;
    }
    std::string why;
    if (!configure_counter_data(&why) || !run_passes(range_name, launch_once, before_each_pass, &out.passes, &why) ||
        !decode(&why) || !read_values(range_name, &out, &why))
      return noted(out, why);
    return out;
  }

  const std::vector<std::string>& metrics() const override { return metrics_; }
  int passes() const override { return passes_; }
  std::string chip() const override { return chip_; }

 private:
  // open(), step by step; each returns false with *why set.
  // The device's primary context (made current) and its driver handle.
  bool open_context(CUdevice* cu_device, std::string* why) {
    int count = 0;
    if (const cudaError_t e = cudaGetDeviceCount(&count); e != cudaSuccess) {
      *why = "no CUDA device: " + cuda_failure("cudaGetDeviceCount", e);
      return false;
    }
    if (device_ < 0 || device_ >= count) {
      *why = "no CUDA device " + std::to_string(device_) + " (" + std::to_string(count) + " present)";
      return false;
    }
    if (const cudaError_t e = cudaSetDevice(device_); e != cudaSuccess) return fail(why, cuda_failure("cudaSetDevice", e));
    if (const cudaError_t e = cudaFree(nullptr); e != cudaSuccess) return fail(why, cuda_failure("cudaFree(0)", e));

    CUresult (*ctx_get_current)(CUcontext*) = nullptr;
    CUresult (*device_get)(CUdevice*, int) = nullptr;
    if (!driver_fn("cuCtxGetCurrent", &ctx_get_current, why) || !driver_fn("cuDeviceGet", &device_get, why))
      return false;
    if (const CUresult r = ctx_get_current(&ctx_); r != CUDA_SUCCESS || !ctx_)
      return fail(why, "cuCtxGetCurrent failed (CUresult " + std::to_string(static_cast<int>(r)) + ")");
    if (const CUresult r = device_get(cu_device, device_); r != CUDA_SUCCESS)
      return fail(why, "cuDeviceGet failed (CUresult " + std::to_string(static_cast<int>(r)) + ")");
    return true;
  }

  // The GPU supports range profiling; its chip name and counter availability.
  bool check_support(CUdevice cu_device, std::string* why) {
    CUpti_Profiler_DeviceSupported_Params sup{};
    sup.structSize = CUpti_Profiler_DeviceSupported_Params_STRUCT_SIZE;
    sup.cuDevice = cu_device;
    sup.api = CUPTI_PROFILER_RANGE_PROFILING;
    if (!check(cuptiProfilerDeviceSupported(&sup), "cuptiProfilerDeviceSupported", why)) return false;
    if (sup.isSupported != CUPTI_PROFILER_CONFIGURATION_SUPPORTED)
      return fail(why, "GPU counters not available on this device: " + support_level_problems(sup));

    CUpti_Device_GetChipName_Params chip{};
    chip.structSize = CUpti_Device_GetChipName_Params_STRUCT_SIZE;
    chip.deviceIndex = static_cast<size_t>(device_);
    if (!check(cuptiDeviceGetChipName(&chip), "cuptiDeviceGetChipName", why)) return false;
    chip_ = chip.pChipName ? chip.pChipName : "";

    CUpti_Profiler_GetCounterAvailability_Params av{};
    av.structSize = CUpti_Profiler_GetCounterAvailability_Params_STRUCT_SIZE;
    av.ctx = ctx_;
    if (!check(cuptiProfilerGetCounterAvailability(&av), "cuptiProfilerGetCounterAvailability (size)", why))
      return false;
    availability_.resize(av.counterAvailabilityImageSize);
    av.pCounterAvailabilityImage = availability_.data();
    return check(cuptiProfilerGetCounterAvailability(&av), "cuptiProfilerGetCounterAvailability", why);
  }

  bool enable(std::string* why) {
    CUpti_RangeProfiler_Enable_Params en{};
    en.structSize = CUpti_RangeProfiler_Enable_Params_STRUCT_SIZE;
    en.ctx = ctx_;
    if (!check(cuptiRangeProfilerEnable(&en), "cuptiRangeProfilerEnable", why)) return false;
    rp_ = en.pRangeProfilerObject;
    return true;
  }

  // The metrics' configuration image and the counter passes it takes.
  bool build_config(std::string* why) {
    if (!init_host(&host_, why)) return false;
    CUpti_Profiler_Host_ConfigAddMetrics_Params add{};
    add.structSize = CUpti_Profiler_Host_ConfigAddMetrics_Params_STRUCT_SIZE;
    add.pHostObject = host_;
    add.ppMetricNames = names_.data();
    add.numMetrics = names_.size();
    if (const CUptiResult r = cuptiProfilerHostConfigAddMetrics(&add); r != CUPTI_SUCCESS) {
      const std::string bad = unknown_metrics();
      return fail(why, failure("cuptiProfilerHostConfigAddMetrics", r) + (bad.empty() ? "" : "; rejected: " + bad));
    }

    CUpti_Profiler_Host_GetConfigImageSize_Params cs{};
    cs.structSize = CUpti_Profiler_Host_GetConfigImageSize_Params_STRUCT_SIZE;
    cs.pHostObject = host_;
    if (!check(cuptiProfilerHostGetConfigImageSize(&cs), "cuptiProfilerHostGetConfigImageSize", why)) return false;
    config_.resize(cs.configImageSize);
    CUpti_Profiler_Host_GetConfigImage_Params ci{};
    ci.structSize = CUpti_Profiler_Host_GetConfigImage_Params_STRUCT_SIZE;
    ci.pHostObject = host_;
    ci.configImageSize = config_.size();
    ci.pConfigImage = config_.data();
    if (!check(cuptiProfilerHostGetConfigImage(&ci), "cuptiProfilerHostGetConfigImage", why)) return false;
    CUpti_Profiler_Host_GetNumOfPasses_Params np{};
    np.structSize = CUpti_Profiler_Host_GetNumOfPasses_Params_STRUCT_SIZE;
    np.configImageSize = config_.size();
    np.pConfigImage = config_.data();
    if (!check(cuptiProfilerHostGetNumOfPasses(&np), "cuptiProfilerHostGetNumOfPasses", why)) return false;
    passes_ = static_cast<int>(np.numOfPasses);
    return true;
  }

  bool size_counter_data(std::string* why) {
    CUpti_RangeProfiler_GetCounterDataSize_Params ds{};
    ds.structSize = CUpti_RangeProfiler_GetCounterDataSize_Params_STRUCT_SIZE;
    ds.pRangeProfilerObject = rp_;
    ds.pMetricNames = names_.data();
    ds.numMetrics = names_.size();
    ds.maxNumOfRanges = ranges();  // the work (and the drain) of one measurement
    ds.maxNumRangeTreeNodes = static_cast<uint32_t>(ranges());
    if (!check(cuptiRangeProfilerGetCounterDataSize(&ds), "cuptiRangeProfilerGetCounterDataSize", why)) return false;
    counter_data_.resize(ds.counterDataSize);
    return true;
  }

  // measure(), step by step; each returns false with *why set.
  // A fresh counter data image, and the configuration for user ranges replayed by the caller.
  bool configure_counter_data(std::string* why) {
    CUpti_RangeProfiler_CounterDataImage_Initialize_Params init{};
    init.structSize = CUpti_RangeProfiler_CounterDataImage_Initialize_Params_STRUCT_SIZE;
    init.pRangeProfilerObject = rp_;
    init.counterDataSize = counter_data_.size();
    init.pCounterData = counter_data_.data();
    if (!check(cuptiRangeProfilerCounterDataImageInitialize(&init), "cuptiRangeProfilerCounterDataImageInitialize",
               why))
      return false;

    CUpti_RangeProfiler_SetConfig_Params cfg{};
    cfg.structSize = CUpti_RangeProfiler_SetConfig_Params_STRUCT_SIZE;
    cfg.pRangeProfilerObject = rp_;
    cfg.configSize = config_.size();
    cfg.pConfig = config_.data();
    cfg.counterDataImageSize = counter_data_.size();
    cfg.pCounterDataImage = counter_data_.data();
    cfg.range = CUPTI_UserRange;
    cfg.replayMode = CUPTI_UserReplay;
    cfg.maxRangesPerPass = ranges();
    cfg.numNestingLevels = 1;
    cfg.minNestingLevel = 1;
    cfg.passIndex = 0;
    cfg.targetNestingLevel = 1;
    return check(cuptiRangeProfilerSetConfig(&cfg), "cuptiRangeProfilerSetConfig", why);
  }

  bool run_passes(const std::string& range_name, const std::function<void()>& launch_once,
                  const std::function<void()>& before_each_pass, int* passes, std::string* why) {
    // One iteration per counter pass; the bound only guards against a profiler that never reports
    // completion.
    bool all_submitted = false;
    for (int pass = 0; !all_submitted && pass < passes_ + 2; ++pass) {
      if (before_each_pass) before_each_pass();
      if (cold_l2_ && !scrub(why)) return false;
      if (!sync("cudaDeviceSynchronize (before pass)", why)) return false;
      if (!run_pass(range_name, launch_once, &all_submitted, why)) return false;
      ++*passes;
    }
    if (!all_submitted) {
      broken_ = "the range profiler never reported all passes submitted";
      *why = broken_;
      return false;
    }
    return sync("cudaDeviceSynchronize (after passes)", why);
  }

  // The recorded data decoded, with every range there.
  bool decode(std::string* why) {
    CUpti_RangeProfiler_DecodeData_Params dec{};
    dec.structSize = CUpti_RangeProfiler_DecodeData_Params_STRUCT_SIZE;
    dec.pRangeProfilerObject = rp_;
    if (!check(cuptiRangeProfilerDecodeData(&dec), "cuptiRangeProfilerDecodeData", why)) return false;
    if (dec.numOfRangeDropped > 0) {
      *why = std::to_string(dec.numOfRangeDropped) + " range(s) dropped by the profiler";
      return false;
    }
    CUpti_RangeProfiler_GetCounterDataInfo_Params info{};
    info.structSize = CUpti_RangeProfiler_GetCounterDataInfo_Params_STRUCT_SIZE;
    info.pCounterDataImage = counter_data_.data();
    info.counterDataImageSize = counter_data_.size();
    if (!check(cuptiRangeProfilerGetCounterDataInfo(&info), "cuptiRangeProfilerGetCounterDataInfo", why))
      return false;
    if (info.numTotalRanges < static_cast<size_t>(ranges())) {
      *why = "the profiler recorded " + std::to_string(info.numTotalRanges) + " of " + std::to_string(ranges()) +
             " ranges";
      return false;
    }
    return true;
  }

  // The work range's values, plus the DRAM writes that reached DRAM in the drain range.
  bool read_values(const std::string& range_name, CounterValues* out, std::string* why) const {
    // Ranges are recorded in push order; the names confirm which is which.
    const size_t work = 0, drain = 1;
    if (!range_named(work, range_name, why)) return false;
    std::vector<double> vals;
    if (!evaluate(work, &vals, why)) return false;
    for (std::size_t i = 0; i < names_.size(); ++i) out->values[metrics_[i]] = vals[i];
    if (cold_l2_) {
      if (!range_named(drain, kDrainRange, why) || !evaluate(drain, &vals, why)) return false;
      // Only DRAM writes carry over from the work into the drain; everything else in the drain
      // range (its own reads, time, L2 traffic) is the scrub's.
      for (std::size_t i = 0; i < names_.size(); ++i) {
        if (metrics_[i].rfind("dram__bytes_write", 0) == 0 || metrics_[i].rfind("dram__sectors_write", 0) == 0)
          out->values[metrics_[i]] += vals[i];
        if (metrics_[i] == "dram__bytes_write.sum") out->drained_write_bytes = vals[i];
      }
    }
    return true;
  }

  static bool fail(std::string* why, std::string reason) {
    *why = std::move(reason);
    return false;
  }
  static bool check(CUptiResult r, const char* call, std::string* why) {
    if (r == CUPTI_SUCCESS) return true;
    *why = failure(call, r);
    return false;
  }
  static bool sync(const char* what, std::string* why) {
    const cudaError_t e = cudaDeviceSynchronize();
    if (e == cudaSuccess) return true;
    *why = cuda_failure(what, e);
    return false;
  }
  int ranges() const { return cold_l2_ ? 2 : 1; }

  bool scrub(std::string* why) const {
    try {
      scrub_l2(device_, nullptr);  // legacy default stream; the device is synchronised around it
      return true;
    } catch (const std::exception& e) {
      *why = std::string("L2 scrub: ") + e.what();
      return false;
    }
  }

  bool evaluate(size_t range, std::vector<double>* vals, std::string* why) const {
    vals->assign(names_.size(), 0.0);
    CUpti_Profiler_Host_EvaluateToGpuValues_Params ev{};
    ev.structSize = CUpti_Profiler_Host_EvaluateToGpuValues_Params_STRUCT_SIZE;
    ev.pHostObject = host_;
    ev.pCounterDataImage = counter_data_.data();
    ev.counterDataImageSize = counter_data_.size();
    ev.rangeIndex = range;
    ev.ppMetricNames = const_cast<const char**>(names_.data());
    ev.numMetrics = names_.size();
    ev.pMetricValues = vals->data();
    return check(cuptiProfilerHostEvaluateToGpuValues(&ev), "cuptiProfilerHostEvaluateToGpuValues", why);
  }

  bool range_named(size_t range, const std::string& expected, std::string* why) const {
    CUpti_RangeProfiler_CounterData_GetRangeInfo_Params ri{};
    ri.structSize = CUpti_RangeProfiler_CounterData_GetRangeInfo_Params_STRUCT_SIZE;
    ri.pCounterDataImage = counter_data_.data();
    ri.counterDataImageSize = counter_data_.size();
    ri.rangeIndex = range;
    ri.rangeDelimiter = "/";
    if (!check(cuptiRangeProfilerCounterDataGetRangeInfo(&ri), "cuptiRangeProfilerCounterDataGetRangeInfo", why))
      return false;
    if (ri.rangeName && expected == ri.rangeName) return true;
    *why = "counter range " + std::to_string(range) + " is '" + (ri.rangeName ? ri.rangeName : "") +
           "', expected '" + expected + "'";
    return false;
  }

  static CounterValues& noted(CounterValues& v, const std::string& why) {
    v.note = why;
    v.values.clear();
    return v;
  }

  bool init_host(CUpti_Profiler_Host_Object** obj, std::string* why) const {
    CUpti_Profiler_Host_Initialize_Params hi{};
    hi.structSize = CUpti_Profiler_Host_Initialize_Params_STRUCT_SIZE;
    hi.profilerType = CUPTI_PROFILER_TYPE_RANGE_PROFILER;
    hi.pChipName = chip_.c_str();
    hi.pCounterAvailabilityImage = availability_.data();
    if (!check(cuptiProfilerHostInitialize(&hi), "cuptiProfilerHostInitialize", why)) return false;
    *obj = hi.pHostObject;
    return true;
  }
  static void deinit_host(CUpti_Profiler_Host_Object*& obj) {
    if (!obj) return;
    CUpti_Profiler_Host_Deinitialize_Params p{CUpti_Profiler_Host_Deinitialize_Params_STRUCT_SIZE, nullptr, obj};
    if (const CUptiResult r = cuptiProfilerHostDeinitialize(&p); r != CUPTI_SUCCESS)
      std::fprintf(stderr, "fa-bench: %s\n", failure("cuptiProfilerHostDeinitialize", r).c_str());
    obj = nullptr;
  }

  // Which requested metrics this chip does not know (each tried alone on a scratch host object).
  std::string unknown_metrics() const {
    std::string bad;
    for (const char* name : names_) {
      CUpti_Profiler_Host_Object* h = nullptr;
      std::string ignored;
      if (!init_host(&h, &ignored)) return {};
      CUpti_Profiler_Host_ConfigAddMetrics_Params add{};
      add.structSize = CUpti_Profiler_Host_ConfigAddMetrics_Params_STRUCT_SIZE;
      add.pHostObject = h;
      const char* one[] = {name};
      add.ppMetricNames = one;
      add.numMetrics = 1;
      if (cuptiProfilerHostConfigAddMetrics(&add) != CUPTI_SUCCESS) bad += (bad.empty() ? "" : ", ") + std::string(name);
      deinit_host(h);
    }
    return bad;
  }

  bool run_pass(const std::string& range_name, const std::function<void()>& launch_once, bool* all_submitted,
                std::string* why) {
    CUpti_RangeProfiler_Start_Params start{CUpti_RangeProfiler_Start_Params_STRUCT_SIZE, nullptr, rp_};
    if (!check(cuptiRangeProfilerStart(&start), "cuptiRangeProfilerStart", why)) return false;
    CUpti_RangeProfiler_PushRange_Params push{CUpti_RangeProfiler_PushRange_Params_STRUCT_SIZE, nullptr, rp_,
                                              range_name.c_str()};
    if (!check(cuptiRangeProfilerPushRange(&push), "cuptiRangeProfilerPushRange", why)) return stop_after_error();
    try {
      launch_once();
    } catch (...) {
      CUpti_RangeProfiler_PopRange_Params pop{CUpti_RangeProfiler_PopRange_Params_STRUCT_SIZE, nullptr, rp_};
      (void)cuptiRangeProfilerPopRange(&pop);  // best effort: the launch's exception is what matters
      (void)stop_after_error();
      broken_ = "a launch threw inside a counter range";
      throw;
    }
    CUpti_RangeProfiler_PopRange_Params pop{CUpti_RangeProfiler_PopRange_Params_STRUCT_SIZE, nullptr, rp_};
    if (!check(cuptiRangeProfilerPopRange(&pop), "cuptiRangeProfilerPopRange", why)) return stop_after_error();
    if (cold_l2_) {
      // The work must be finished before the drain range opens, or its tail would count there.
      if (!sync("cudaDeviceSynchronize (before drain)", why)) return stop_after_error();
      CUpti_RangeProfiler_PushRange_Params push_drain{CUpti_RangeProfiler_PushRange_Params_STRUCT_SIZE, nullptr, rp_,
                                                      kDrainRange};
      if (!check(cuptiRangeProfilerPushRange(&push_drain), "cuptiRangeProfilerPushRange (drain)", why))
        return stop_after_error();
      const bool scrubbed = scrub(why);
      if (!check(cuptiRangeProfilerPopRange(&pop), "cuptiRangeProfilerPopRange (drain)", why) || !scrubbed)
        return stop_after_error();
    }
    CUpti_RangeProfiler_Stop_Params stop{};
    stop.structSize = CUpti_RangeProfiler_Stop_Params_STRUCT_SIZE;
    stop.pRangeProfilerObject = rp_;
    if (!check(cuptiRangeProfilerStop(&stop), "cuptiRangeProfilerStop", why)) {
      broken_ = *why;
      return false;
    }
    *all_submitted = stop.isAllPassSubmitted != 0;
    return sync("cudaDeviceSynchronize (after pass)", why);
  }

  // After a failure inside Start..Stop: close the pass so the profiler is not left mid-range, and
  // mark the session unusable (its state is unknown).
  bool stop_after_error() {
    CUpti_RangeProfiler_Stop_Params stop{};
    stop.structSize = CUpti_RangeProfiler_Stop_Params_STRUCT_SIZE;
    stop.pRangeProfilerObject = rp_;
    const CUptiResult r = cuptiRangeProfilerStop(&stop);
    broken_ = r == CUPTI_SUCCESS ? "an earlier range failed" : failure("cuptiRangeProfilerStop", r);
    return false;
  }

  int device_;
  std::vector<std::string> metrics_;
  bool cold_l2_ = true;
  std::vector<const char*> names_;
  std::string chip_;
  CUcontext ctx_ = nullptr;
  std::vector<std::uint8_t> availability_, config_, counter_data_;
  CUpti_RangeProfiler_Object* rp_ = nullptr;
  CUpti_Profiler_Host_Object* host_ = nullptr;
  int passes_ = 0;
  std::string broken_;
};

}  // namespace

std::unique_ptr<CounterSession> make_range_profiler_session(int device, std::vector<std::string> metrics,
                                                            const CounterOptions& options, std::string* why_not) {
  auto s = std::make_unique<RangeProfilerSession>(device, std::move(metrics), options);
  std::string why;
  if (!s->open(&why)) {
    if (why_not) *why_not = why;
    return nullptr;
  }
  return s;
}

}  // namespace fa::cupti
#endif  // FA_HAS_CUDA
