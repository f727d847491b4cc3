// The test-only fault injection on a real GPU point (measure/fault_injection.hpp): the spin it adds
// to the timed invocation slows the point by the fraction asked (the extra launch's cost included),
// the row says so, and points that do not match are left alone.
#include <catch2/catch.hpp>

#include <cuda_runtime_api.h>

#include <memory>
#include <regex>
#include <string>

#include "kernels/registry.hpp"
#include "measure/fault_injection.hpp"
#include "measure/point_runner.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"
#include "tests/scoped_env.hpp"

namespace {

// A point of about a millisecond on an H100/H200, on the first GPU kernel family built.
std::unique_ptr<fa::AttentionKernel> first_kernel(fa::Point& pt) {
  std::unique_ptr<fa::AttentionKernel> kernel;
  for (const char* name : {"flash", "standard", "cudnn", "block_sparse"}) {
    if ((kernel = fa::make_kernel(name))) break;
  }
  if (kernel) {
    pt = fa::testing::attention_point(kernel->name(), fa::Pass::fwd, fa::DType::bf16, {4, 16, 4096, 4096, 64}, false, 0,
                                      fa::Layout::bhnd, 0x5eed);
  }
  return kernel;
}

double measured_fraction(const std::string& reason) {
  std::smatch m;
  const std::regex measured(R"(\+(-?[0-9.]+)% measured at calibration)");
  return std::regex_search(reason, m, measured) ? std::stod(m[1]) / 100 : -1;
}

}  // namespace

TEST_CASE("fault injection slows a matching GPU point by the fraction asked", "[gpu][measure][fault]") {
  FA_REQUIRE_GPU();
  fa::Point pt;
  const auto kernel = first_kernel(pt);
  REQUIRE(kernel != nullptr);
  fa::RunOptions opt;
  opt.rule.min_samples = 20;
  opt.rule.max_time_s = 0.3;
  (void)fa::run_point(pt, kernel.get(), opt);  // process warm-up: libraries, modules, clocks
  const fa::Row plain = fa::run_point(pt, kernel.get(), opt);
  REQUIRE(plain.status == fa::Status::ok);
  CHECK(plain.reason.find("fault injection") == std::string::npos);

  for (const char* pct : {"10%", "5%"}) {
    const double asked = std::stod(pct) / 100;
    fa::testing::ScopedEnv spec(fa::fault_injection::kSpecVar, (std::string(pct) + ":" + fa::point_key(pt)).c_str());
    fa::testing::ScopedEnv ack(fa::fault_injection::kAckVar, "falsify-timings");
    const fa::Row slowed = fa::run_point(pt, kernel.get(), opt);
    REQUIRE(slowed.status == fa::Status::ok);
    INFO(pt.kernel << " " << plain.time.median_ms << " ms plain, " << slowed.time.median_ms << " ms slowed; "
                   << slowed.reason);
    CHECK(slowed.reason.find("TEST-ONLY fault injection") != std::string::npos);
    // Calibrated on the point itself and measured by the run: within a point of the fraction asked.
    CHECK(measured_fraction(slowed.reason) == Approx(asked).margin(0.015));
    // Two separate measurements: the SM clock may differ a little between them.
    CHECK(slowed.time.median_ms / plain.time.median_ms - 1 == Approx(asked).margin(0.03));

    // Another point is not slowed; its row says the run had the injection on.
    fa::Point other = pt;
    other.problem.seqlen_q = other.problem.seqlen_kv = 2048;
    const std::string other_reason = fa::run_point(other, kernel.get(), opt).reason;
    CHECK(other_reason.find("this point not slowed") != std::string::npos);
    CHECK(other_reason.find("asked") == std::string::npos);
  }
}
