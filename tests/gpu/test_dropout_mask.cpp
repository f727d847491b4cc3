// The GPU families that share the dropout keep-mask drop exactly the elements core/philox.hpp
// defines, element by element: with the inputs of tests/dropout_probe.hpp, O and dV spell out every
// keep flag of the B x H x 4D x 4D mask, compared with fa::dropout_keep (the float64 reference is
// held to the same definition by tests/cpu/test_reference_dropout.cpp). Covered:
//  - standard: fp16/bf16 (8-column vectors) and fp32 (4-column vectors) through its warp-shuffle
//    byte exchange; forward+backward (Pd kept from the forward) and backward alone (Pd redrawn);
//  - flash: every head dim (each has its own forward and backward tile shapes), fp16 and bf16;
//  - block_sparse with a dense mask: the flash kernels through the block-sparse glue.
// flash3 (sm_90 only) has its own case in test_flash3_bwd.cpp.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "core/kernel.hpp"
#include "core/philox.hpp"
#include "kernels/families_built.hpp"
#include "tests/dropout_probe.hpp"
#include "tests/gpu/dropout_probe_check.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace {

using fa::DType;
using fa::Pass;

struct Case {
  const char* kernel;
  std::vector<DType> dtypes;
  std::vector<std::int64_t> head_dims;
};

std::vector<Case> shared_mask_cases() {
  std::vector<Case> cases;
#if FA_FAMILY_STANDARD
  cases.push_back({"standard", {DType::fp16, DType::bf16, DType::fp32}, {64}});
#endif
#if FA_FAMILY_FLASH
  cases.push_back({"flash", {DType::fp16, DType::bf16}, {32, 64, 96, 128, 256}});
#endif
#if FA_FAMILY_BLOCK_SPARSE
  cases.push_back({"block_sparse", {DType::fp16}, {64, 128}});
#endif
  return cases;
}

}  // namespace

TEST_CASE("dropout mask: standard, flash and block_sparse drop exactly the defined elements", "[gpu][dropout]") {
  FA_REQUIRE_GPU();
  const std::vector<Case> cases = shared_mask_cases();
  REQUIRE_FALSE(cases.empty());  // a build without these families has nothing to check here
  std::uint64_t seed = 0xd50b0000ULL;
  for (const Case& c : cases) {
    auto k = fa::testing::require_kernel(c.kernel);
    REQUIRE(k->shares_dropout_mask());
    for (DType dt : c.dtypes)
      for (std::int64_t d : c.head_dims)
        for (double p : {0.5, 0.17}) {  // thresholds 128 and 44
          const fa::Problem pr = fa::testing::dropout_probe_problem(2, 3, d, dt, p, ++seed);
          fa::testing::check_dropout_probe_pass(*k, pr, Pass::fwdbwd);
          fa::testing::check_dropout_probe_pass(*k, pr, Pass::bwd);
        }
  }
}
