// Hardware-counter plumbing that needs no GPU (measure/counters.hpp): the refusal path of
// CounterSession::create where counters cannot be read (this test machine has no GPU, and CI has no
// driver at all), the profiler-environment check, CUPTI error naming and the row mapping.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "core/result.hpp"
#include "measure/counters.hpp"
#include "tests/scoped_env.hpp"

#if FA_HAS_CUDA
#include <cuda_runtime_api.h>
#include <cupti_result.h>

#include "measure/cupti_check.hpp"
#endif

namespace {

bool gpu_present() {
#if FA_HAS_CUDA
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
#else
  return false;
#endif
}

using fa::testing::ScopedEnv;

}  // namespace

TEST_CASE("counters: create() without a usable GPU returns null with a reason", "[counters]") {
  if (gpu_present()) {
    WARN("a GPU is present: the no-GPU refusal path cannot be exercised here");
    return;
  }
  REQUIRE_FALSE(fa::running_under_ncu());  // else the refusal below would be the profiler's
  std::string why;
  fa::CounterOptions opt;
  opt.refuse_under_profiler = false;
  const auto s = fa::CounterSession::create(0, {}, &why, opt);
  CHECK(s == nullptr);
  INFO(why);
#if FA_HAS_CUDA
  // The CUDA runtime is asked first, so CUPTI never runs without a device.
  CHECK(why.find("no CUDA device") != std::string::npos);
  CHECK(why.find("cudaError") != std::string::npos);
#else
  CHECK(why == "this build has no CUDA: no hardware counters");
#endif
  // A null why_not pointer is allowed.
  CHECK(fa::CounterSession::create(0, {"dram__bytes_read.sum"}, nullptr, opt) == nullptr);
}

TEST_CASE("counters: an injected profiler in the environment is detected and respected", "[counters]") {
  REQUIRE(fa::profiler_environment().empty());
  {
    ScopedEnv env("CUDA_INJECTION64_PATH", "/opt/nsight-compute/target/linux-desktop-glibc_2_11_3-x64/libInjection.so");
    CHECK(fa::running_under_ncu());
    CHECK(fa::profiler_environment().rfind("CUDA_INJECTION64_PATH=/opt/nsight-compute", 0) == 0);
    std::string why;
    CHECK(fa::CounterSession::create(0, {}, &why) == nullptr);
    CHECK(why.find("profiling tool") != std::string::npos);
    CHECK(why.find("CUDA_INJECTION64_PATH") != std::string::npos);
  }
  CHECK_FALSE(fa::running_under_ncu());
  {
    ScopedEnv env("NV_COMPUTE_PROFILER_TEST", "1");
    CHECK(fa::running_under_ncu());
  }
  {
    ScopedEnv env("NOT_NV_COMPUTE_PROFILER_X", "1");  // prefix match only at the start of the name
    CHECK_FALSE(fa::running_under_ncu());
  }
}

TEST_CASE("counters: default metrics and the row mapping", "[counters]") {
  const auto& d = fa::default_counter_metrics();
  REQUIRE(d.size() == 4);
  CHECK(d[0] == "dram__bytes_read.sum");
  CHECK(d[1] == "dram__bytes_write.sum");
  CHECK(d[2] == "lts__t_bytes.sum");
  CHECK(d[3] == "gpu__time_duration.sum");

  fa::CounterValues v;
  v.values = {{"dram__bytes_read.sum", 1.5e9},
              {"dram__bytes_write.sum", 0.5e9},
              {"lts__t_bytes.sum", 4e9},
              {"gpu__time_duration.sum", 987654.0},
              {"lts__t_sector_hit_rate.pct", 37.5}};
  CHECK(v.ok());
  CHECK(v.get("lts__t_bytes.sum") == 4e9);
  CHECK_FALSE(v.get("sm__cycles_elapsed.avg"));
  fa::Row row;
  fa::apply_counters(v, row);
  CHECK(row.hbm_read_bytes == 1.5e9);
  CHECK(row.hbm_write_bytes == 0.5e9);
  CHECK(row.l2_bytes == 4e9);
  REQUIRE(row.counter_time_ms);
  CHECK(*row.counter_time_ms == Approx(0.987654));
  CHECK(row.counters_note.empty());
  REQUIRE(row.extra_counters.size() == 1);
  CHECK(row.extra_counters.at("lts__t_sector_hit_rate.pct") == 37.5);

  fa::CounterValues failed;
  failed.note = "cuptiRangeProfilerStart failed: CUPTI_ERROR_X";
  CHECK_FALSE(failed.ok());
  fa::apply_counters(failed, row);  // clears earlier values
  CHECK_FALSE(row.hbm_read_bytes);
  CHECK_FALSE(row.counter_time_ms);
  CHECK(row.counters_note == failed.note);
  CHECK(row.extra_counters.empty());
}

#if FA_HAS_CUDA
TEST_CASE("counters: CUPTI failures carry the error name and a hint", "[counters]") {
  const std::string priv = fa::cupti::failure("cuptiRangeProfilerEnable", CUPTI_ERROR_INSUFFICIENT_PRIVILEGES);
  INFO(priv);
  CHECK(priv.rfind("cuptiRangeProfilerEnable failed: CUPTI_ERROR_INSUFFICIENT_PRIVILEGES", 0) == 0);
  CHECK(priv.find("administrators") != std::string::npos);
  const std::string multi = fa::cupti::failure("cuptiProfilerInitialize", CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED);
  INFO(multi);
  CHECK(multi.find("CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED") != std::string::npos);
  CHECK(multi.find("ncu") != std::string::npos);
  CHECK(fa::cupti::result_hint(CUPTI_ERROR_UNKNOWN).empty());
}
#endif
