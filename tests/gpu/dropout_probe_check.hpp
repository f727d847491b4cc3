#pragma once
// One pass of a GPU family on the dropout probe (tests/dropout_probe.hpp): the outputs it produces, O
// (forward passes) and dV (backward passes), must spell out exactly the keep flags core/philox.hpp
// defines. Call inside a TEST_CASE.
#include <catch2/catch.hpp>

#include <cstdint>

#include "core/kernel.hpp"
#include "core/problem.hpp"
#include "tests/dropout_probe.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace fa::testing {

// Runs `pass` on the probe inputs and checks the outputs it produces: O (forward passes) and dV
// (backward passes).
inline void check_dropout_probe_pass(fa::AttentionKernel& k, const fa::Problem& p, Pass pass) {
  const fa::Support sup = k.supports(p, pass);
  INFO(k.name() << " " << fa::to_string(pass) << " " << fa::to_string(p.dtype) << " D" << p.head_dim << " p "
                << p.dropout << ": " << (sup.ok ? "supported" : sup.reason));
  REQUIRE(sup.ok);
  DirectRun r(p, pass, dropout_probe_inputs(p));
  r.run(k);
  const std::int64_t flags = p.batch * p.heads * p.seqlen_q * p.seqlen_kv;
  for (bool forward : {true, false}) {
    if (forward ? pass == Pass::bwd : pass == Pass::fwd) continue;
    const auto res = check_dropout_probe(p, r.ops.download(forward ? fa::Tensor::o : fa::Tensor::dv), forward);
    INFO((forward ? "O" : "dV") << ": " << res.mismatches << " flags differ, " << res.unreadable
                                << " outputs unreadable; first: " << res.first);
    CHECK(res.checked == flags);
    CHECK(res.unreadable == 0);
    CHECK(res.mismatches == 0);
  }
}

}  // namespace fa::testing
