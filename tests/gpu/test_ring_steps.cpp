// Which kernels the ring family's steps launch (kernels/ring/ring_step_choice.hpp) and that each path is right:
//  - on a ring whose GPUs are all sm_90, in a build with flash3, every step runs flash3's forward and backward
//    (its backward has no D = 256: there the forward stays on flash3 and the backward runs flash); the row's
//    note says so, and forward, backward and both against the float64 reference at D 64/96/128/256, fp16/bf16,
//    causal or not, ragged shards (2 * 97 rows per GPU: zigzag chunks of 97), longer shards (several flash3
//    tiles, both ragged), several batches and heads, bnhd, large logits;
//  - elsewhere (another GPU, no flash3 in the build, a head dim flash3 lacks) the steps run flash, and the
//    note says why;
//  - FA_RING_STEPS=flash keeps a Hopper ring on flash (the old path stays tested there), FA_RING_STEPS=flash3
//    refuses what flash3 cannot run with the reason, bad values are refused.
// The expectation of flash3 is worked out here from the devices' compute capability, not asked of the ring.
// P is every visible GPU or FA_RING_GPUS, as in test_ring.cpp: on a machine with two GPUs these run the real ring.
#include <catch2/catch.hpp>

#include "kernels/families_built.hpp"

#if FA_FAMILY_RING  // the family is built (cmake/FaKernelFamily.cmake)

#include <cuda_runtime_api.h>

#include <cstdint>
#include <stdexcept>
#include <string>

#include "core/kernel.hpp"
#include "kernels/ring/ring_kernel.hpp"
#include "kernels/ring/ring_step_choice.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"
#include "tests/gpu/ring_test_util.hpp"
#include "tests/scoped_env.hpp"

namespace {

using fa::DType;
using fa::Layout;
using fa::Pass;
using fa::testing::require_kernel;
using fa::testing::ScopedEnv;
using fa::testing::Shape;

fa::testing::SeedSequence data_seeds{48000};

using fa::testing::ragged_seqlen;
using fa::testing::ring_gpus;

// Whether flash3 should run the steps here: built, and every GPU of the ring (devices 0 .. P-1 from the
// tests' device 0) of compute capability 9.0.
bool expect_flash3() {
#if FA_FAMILY_FLASH3
  for (int device = 0; device < ring_gpus(); ++device) {
    cudaDeviceProp prop{};
    REQUIRE(cudaGetDeviceProperties(&prop, device) == cudaSuccess);
    if (prop.major != 9 || prop.minor != 0) return false;
  }
  return true;
#else
  return false;
#endif
}

fa::Point ring_point(Pass pass, DType dt, std::int64_t b, std::int64_t h, std::int64_t n, std::int64_t d, bool causal,
                     Layout layout = Layout::bhnd) {
  return fa::testing::attention_point("ring", pass, dt, Shape{b, h, n, n, d}, causal, 0.0, layout,
                                      0x21a70000ULL + static_cast<std::uint64_t>(n * 7919 + d));
}

// Verifies `pt` against the reference, then checks the note of the run it prepared.
void check_steps(fa::AttentionKernel& k, const fa::Point& pt, const std::string& expected_note_start,
                 double input_scale = 1.0) {
  const fa::Problem& p = pt.problem;
  const std::string label = fa::testing::to_text(fa::point_label(pt), " N", p.seqlen_q, " ", fa::to_string(p.layout),
                                                 " x", input_scale, " P", ring_gpus());
  fa::testing::check_supported_point(k, pt, label, data_seeds.next(), input_scale);
  const std::string note = k.point_note(p, pt.pass);
  INFO(label << ": note '" << note << "', expected to start with '" << expected_note_start << "'");
  CHECK(note.rfind(expected_note_start, 0) == 0);
}

// The note when flash3 runs every pass of the point; otherwise the start of flash's note.
std::string both_on(bool flash3, Pass pass) {
  const std::string kernel = flash3 ? "flash3" : "flash";
  return "ring steps: " + kernel + (pass == Pass::fwd ? " forward" : " forward and backward");
}

}  // namespace

TEST_CASE("ring steps: flash3 on sm_90 (D 64/96/128), flash elsewhere, against the reference", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  ScopedEnv default_steps("FA_RING_STEPS", "");
  ScopedEnv default_sharding("FA_RING_SHARDING", "");  // causal: zigzag, non-causal: contiguous
  auto k = require_kernel("ring");
  const bool flash3 = expect_flash3();
  if (!flash3) WARN("not a ring of sm_90 GPUs with flash3 built: the steps run flash; flash3's are untested here");
  CHECK_THAT(std::string(k->summary()), Catch::Contains("steps: flash3 on sm_90 where it takes the shard, else flash"));
  const std::int64_t n = ragged_seqlen(ring_gpus());
  for (Pass pass : {Pass::fwd, Pass::bwd, Pass::fwdbwd})
    for (DType dt : {DType::fp16, DType::bf16})
      for (std::int64_t d : {64, 96, 128})
        for (bool causal : {false, true}) {
          check_steps(*k, ring_point(pass, dt, 1, 2, n, d, causal), both_on(flash3, pass));
        }
}

TEST_CASE("ring steps: longer shards, batches and heads, bnhd, large logits", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  ScopedEnv default_steps("FA_RING_STEPS", "");
  ScopedEnv default_sharding("FA_RING_SHARDING", "");
  auto k = require_kernel("ring");
  const bool flash3 = expect_flash3();
  const int gpus = ring_gpus();
  // 1000 rows per GPU: several flash3 query tiles (128 or 192 rows) and key blocks (128), none whole; zigzag
  // chunks of 500.
  const std::int64_t longer = static_cast<std::int64_t>(gpus) * 1000, n = ragged_seqlen(gpus);
  for (bool causal : {false, true}) {
    check_steps(*k, ring_point(Pass::fwdbwd, DType::bf16, 1, 2, longer, 128, causal), both_on(flash3, Pass::fwdbwd));
    check_steps(*k, ring_point(Pass::fwdbwd, DType::fp16, 1, 2, longer, 64, causal), both_on(flash3, Pass::fwdbwd));
    check_steps(*k, ring_point(Pass::fwdbwd, DType::bf16, 2, 3, n, 96, causal, Layout::bnhd),
                both_on(flash3, Pass::fwdbwd));
    // Large logits: the logsumexp merge of flash3's partial results must not overflow.
    check_steps(*k, ring_point(Pass::fwd, DType::bf16, 1, 2, n, 128, causal), both_on(flash3, Pass::fwd), 8.0);
    check_steps(*k, ring_point(Pass::bwd, DType::fp16, 1, 2, n, 64, causal), both_on(flash3, Pass::bwd), 8.0);
  }
}

TEST_CASE("ring steps: D 256 runs flash3's forward and flash's backward, D 32 runs flash", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  ScopedEnv default_steps("FA_RING_STEPS", "");
  ScopedEnv default_sharding("FA_RING_SHARDING", "");
  auto k = require_kernel("ring");
  const bool flash3 = expect_flash3();
  const std::int64_t n = ragged_seqlen(ring_gpus());
  for (bool causal : {false, true}) {
    check_steps(*k, ring_point(Pass::fwd, DType::bf16, 1, 2, n, 256, causal), both_on(flash3, Pass::fwd));
    // flash3's backward has no D = 256: its forward still runs, the backward is flash's, and the note says why.
    check_steps(*k, ring_point(Pass::fwdbwd, DType::fp16, 1, 2, n, 256, causal),
                flash3 ? "ring steps: flash3 forward, flash backward (flash3 backward head dims"
                       : both_on(false, Pass::fwdbwd));
    check_steps(*k, ring_point(Pass::bwd, DType::bf16, 1, 2, n, 256, causal),
                flash3 ? "ring steps: flash3 forward, flash backward (flash3 backward head dims"
                       : both_on(false, Pass::bwd));
    // A head dim flash3 lacks: flash for both, with flash3's reason (or the device's, off Hopper).
    check_steps(*k, ring_point(Pass::fwdbwd, DType::fp16, 1, 2, n, 32, causal),
                flash3 ? "ring steps: flash forward and backward (flash3 head dims: 64, 96, 128, 256)"
                       : both_on(false, Pass::fwdbwd));
  }
}

TEST_CASE("ring steps: FA_RING_STEPS=flash keeps every step on flash", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  ScopedEnv on_flash("FA_RING_STEPS", "flash");  // read when the kernel is created: set it first
  ScopedEnv default_sharding("FA_RING_SHARDING", "");
  auto k = require_kernel("ring");
  CHECK_THAT(std::string(k->summary()), Catch::Contains("steps: flash (FA_RING_STEPS)"));
  const std::int64_t n = ragged_seqlen(ring_gpus());
  for (Pass pass : {Pass::fwd, Pass::fwdbwd})
    for (bool causal : {false, true}) {
      const std::string note = both_on(false, pass) + " (FA_RING_STEPS=flash)";
      check_steps(*k, ring_point(pass, DType::bf16, 1, 2, n, 128, causal), note);
      check_steps(*k, ring_point(pass, DType::fp16, 2, 3, n, 64, causal, Layout::bnhd), note);
    }
}

TEST_CASE("ring steps: FA_RING_STEPS=flash3 runs flash3 or refuses with the reason", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  ScopedEnv on_flash3("FA_RING_STEPS", "flash3");
  ScopedEnv default_sharding("FA_RING_SHARDING", "");
  auto k = require_kernel("ring");
  CHECK_THAT(std::string(k->summary()), Catch::Contains("steps: flash3 (FA_RING_STEPS)"));
  const std::int64_t n = ragged_seqlen(ring_gpus());
  fa::Problem p = ring_point(Pass::fwd, DType::bf16, 1, 2, n, 256, true).problem;
  if (expect_flash3()) {
    check_steps(*k, ring_point(Pass::fwdbwd, DType::bf16, 1, 2, n, 128, true), both_on(true, Pass::fwdbwd));
    CHECK(k->supports(p, Pass::fwd).ok);
    // Asked for explicitly, flash3 is not replaced by flash where it cannot run.
    const fa::Support bwd = k->supports(p, Pass::fwdbwd);
    CHECK_FALSE(bwd.ok);
    CHECK_THAT(bwd.reason, Catch::StartsWith("ring: FA_RING_STEPS=flash3, but flash3 backward head dims"));
    p.head_dim = 32;
    CHECK_THAT(k->supports(p, Pass::fwd).reason, Catch::Contains("flash3 head dims: 64, 96, 128, 256"));
  } else {
    const fa::Support s = k->supports(p, Pass::fwd);
    CHECK_FALSE(s.ok);
    CHECK_THAT(s.reason, Catch::StartsWith("ring: FA_RING_STEPS=flash3, but flash3"));
  }
}

TEST_CASE("ring steps: bad FA_RING_STEPS values are refused with the reason", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  for (const char* bad : {"Flash3", "flash2", " flash", "flash3 ", "auto", "1"}) {
    INFO("FA_RING_STEPS='" << bad << "'");
    ScopedEnv env("FA_RING_STEPS", bad);
    CHECK_THROWS_AS(fa::ring::step_kernel_from_environment(), std::invalid_argument);
    fa::ring::RingKernel k;  // creating the kernel does not throw: supports() says why
    const fa::Problem p = ring_point(Pass::fwd, DType::fp16, 1, 2, ragged_seqlen(ring_gpus()), 64, false).problem;
    const fa::Support s = k.supports(p, Pass::fwd);
    CHECK_FALSE(s.ok);
    CHECK_THAT(s.reason,
               Catch::Contains(std::string("FA_RING_STEPS='") + bad + "' is not valid (accepted: flash3, flash"));
    CHECK_THAT(std::string(k.summary()), Catch::Contains("steps: none (bad FA_RING_STEPS)"));
  }
}

#endif  // FA_FAMILY_RING
