#pragma once
// The edge-shape points the flash3 forward and backward GPU tests both run through the kernel interface
// (test_flash3_fwd.cpp, test_flash3_bwd.cpp): one pass, its head dims, and the file's own problem-seed base
// and data-seed sequence, so each file keeps its own points.
#include <catch2/catch.hpp>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/kernel.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace fa::testing {

// The family needs an sm_90 GPU; elsewhere a test stops here with the kernel's own reason.
inline std::unique_ptr<AttentionKernel> require_flash3(Pass pass) {
  auto k = require_kernel("flash3");
  const Support s = k->supports(Problem{}, pass);
  INFO("flash3 " << to_string(pass) << " on this GPU: " << (s.ok ? "supported" : s.reason));
  REQUIRE(s.ok);
  return k;
}

struct Flash3Points {
  AttentionKernel& kernel;
  Pass pass;
  std::vector<std::int64_t> head_dims;
  std::uint64_t seed_base;  // problem seeds (dropout mask): shape_seed(seed_base, shape)
  SeedSequence& data_seeds;

  Point point(DType dt, Shape s, bool causal, double dropout, Layout layout = Layout::bhnd) const {
    return attention_point("flash3", pass, dt, s, causal, dropout, layout, shape_seed(seed_base, s));
  }
  void check(const Point& pt, double input_scale = 1.0) const {
    check_labelled_point(kernel, pt, data_seeds.next(), input_scale);
  }

  // Every pair of lengths 1, 17, 255, 1000, 4097, causal or not; dtype, head dim and dropout spread over the
  // pairs so they also cover the instances.
  void length_pairs() const {
    int i = 0;
    for (std::int64_t nq : {1, 17, 255, 1000, 4097})
      for (std::int64_t nk : {1, 17, 255, 1000, 4097})
        for (bool causal : {false, true}) {
          Shape s;
          s.h = 1, s.nq = nq, s.nk = nk;
          s.d = head_dims[static_cast<std::size_t>(i) % head_dims.size()];
          const DType dt = (i % 2 == 0) ? DType::fp16 : DType::bf16;
          const double dropout = (i % 3 == 2) ? 0.17 : 0.0;
          check(point(dt, s, causal, dropout));
          ++i;
        }
  }

  void bnhd() const {
    Shape s;
    s.b = 2, s.h = 3, s.nq = 200, s.nk = 130;
    for (std::int64_t d : head_dims) {
      s.d = d;
      check(point(DType::fp16, s, false, 0.0, Layout::bnhd));
      check(point(DType::bf16, s, true, 0.17, Layout::bnhd));
    }
  }

  // More batch x heads than one grid dimension holds.
  void many_heads() const {
    Shape s;
    s.b = 2, s.h = 33000, s.nq = 5, s.nk = 9, s.d = 64;
    check(point(DType::fp16, s, true, 0.0));
    check(point(DType::bf16, s, false, 0.17));
  }
};

}  // namespace fa::testing
