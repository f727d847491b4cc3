// The float64 reference runs its (batch, head) and (batch, K/V head) units on several threads
// (reference/parallel.hpp); each unit adds in the serial order, so every thread count must give the same
// bits, with grouped K/V heads (dK/dV summed over a group), causal masking and dropout. And
// FA_REFERENCE_THREADS: a bad value is refused naming the variable and what it accepts.
#include <catch2/catch.hpp>

#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "reference/attention.hpp"
#include "reference/parallel.hpp"
#include "tests/cpu/test_reference_util.hpp"
#include "tests/scoped_env.hpp"

using namespace fa;
using namespace fa::reftest;

namespace {

struct Outputs {
  std::vector<double> o, lse, dq, dk, dv;
};

Outputs run_reference(const ref::Config& c, const char* threads) {
  const fa::testing::ScopedEnv env("FA_REFERENCE_THREADS", threads);
  const std::vector<double> q = randn(q_size(c), 1), k = randn(kv_size(c), 2), v = randn(kv_size(c), 3),
                            dout = randn(q_size(c), 4);
  Outputs out{std::vector<double>(q_size(c)), std::vector<double>(lse_size(c)), std::vector<double>(q_size(c)),
              std::vector<double>(kv_size(c)), std::vector<double>(kv_size(c))};
  ref::forward(c, q.data(), k.data(), v.data(), out.o.data(), out.lse.data());
  ref::backward(c, q.data(), k.data(), v.data(), nullptr, nullptr, dout.data(), out.dq.data(), out.dk.data(),
                out.dv.data());
  return out;
}

bool same_bits(const std::vector<double>& a, const std::vector<double>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(double)) == 0;
}

}  // namespace

TEST_CASE("reference: any thread count gives the serial result bit for bit", "[reference]") {
  ref::Config c;
  c.batch = 3, c.heads = 8, c.kv_heads = 2, c.seqlen_q = 37, c.seqlen_kv = 45, c.head_dim = 16;
  c.scale = 0.25, c.causal = true, c.dropout = 0.17, c.seed = 99;
  const Outputs serial = run_reference(c, "1");
  for (const char* threads : {"2", "5", "64"}) {
    INFO("FA_REFERENCE_THREADS=" << threads);
    const Outputs par = run_reference(c, threads);
    CHECK(same_bits(par.o, serial.o));
    CHECK(same_bits(par.lse, serial.lse));
    CHECK(same_bits(par.dq, serial.dq));
    CHECK(same_bits(par.dk, serial.dk));
    CHECK(same_bits(par.dv, serial.dv));
  }
  CHECK(fa::ref::reference_threads() >= 1);
}

TEST_CASE("reference: FA_REFERENCE_THREADS accepts a positive integer only", "[reference]") {
  for (const char* bad : {"0", "-2", "two", "3x"}) {
    const fa::testing::ScopedEnv env("FA_REFERENCE_THREADS", bad);
    CHECK_THROWS_WITH(fa::ref::reference_threads(),
                      Catch::Contains("FA_REFERENCE_THREADS: '" + std::string(bad) + "'") &&
                          Catch::Contains("accepted: an integer in [1, 4096]"));
  }
  const fa::testing::ScopedEnv env("FA_REFERENCE_THREADS", "3");
  CHECK(fa::ref::reference_threads() == 3u);
}
