// core/flops.cpp: the causal visible fraction against a brute-force count of the bottom-right
// aligned mask, and the FLOP convention built on it.
#include <catch2/catch.hpp>

#include "core/flops.hpp"
#include "core/masking.hpp"

using namespace fa;

namespace {
double brute_force_causal_fraction(std::int64_t nq, std::int64_t nk) {
  std::int64_t visible = 0;
  for (std::int64_t i = 0; i < nq; ++i) {
    for (std::int64_t j = 0; j < nk; ++j) visible += (j - i <= nk - nq) ? 1 : 0;
  }
  return static_cast<double>(visible) / static_cast<double>(nq * nk);
}
}  // namespace

TEST_CASE("visible_fraction counts the causal triangle exactly", "[core]") {
  for (auto [nq, nk] : std::vector<std::pair<std::int64_t, std::int64_t>>{
           {1, 1}, {2, 2}, {7, 7}, {512, 512},          // Nq == Nk
           {5, 9}, {1, 100}, {128, 512}, {3, 4},        // Nq < Nk
           {9, 5}, {100, 1}, {512, 128}, {4, 3}}) {     // Nq > Nk (leading rows see nothing)
    Problem p;
    p.seqlen_q = nq;
    p.seqlen_kv = nk;
    p.causal = true;
    INFO(nq << " x " << nk);
    const double want = brute_force_causal_fraction(nq, nk);
    CHECK(visible_fraction(p, 1.0) == Approx(want).epsilon(1e-14));
    CHECK(visible_fraction(p, 0.25) == Approx(0.25 * want).epsilon(1e-14));
    // Cross-check the brute force itself against the shared predicate.
    std::int64_t shared = 0;
    for (std::int64_t i = 0; i < nq; ++i) {
      for (std::int64_t j = 0; j < nk; ++j) shared += causal_visible(i, j, nq, nk) ? 1 : 0;
    }
    CHECK(static_cast<double>(shared) / static_cast<double>(nq * nk) == want);
  }
  CHECK(brute_force_causal_fraction(4, 4) == 10.0 / 16.0);  // sanity of the brute force
}

TEST_CASE("visible_fraction without causal is the block density", "[core]") {
  Problem p;
  p.seqlen_q = 300;
  p.seqlen_kv = 200;
  CHECK(visible_fraction(p, 1.0) == 1.0);
  CHECK(visible_fraction(p, 0.3) == 0.3);
}

TEST_CASE("effective FLOPs follow the FlashAttention convention", "[core]") {
  Problem p;
  p.batch = 2;
  p.heads = 3;
  p.seqlen_q = 64;
  p.seqlen_kv = 128;
  p.head_dim = 32;
  const double fwd = 4.0 * 2 * 3 * 64 * 128 * 32;
  CHECK(dense_forward_flops(p) == fwd);
  CHECK(effective_flops(p, Pass::fwd, 1.0) == fwd);
  CHECK(effective_flops(p, Pass::bwd, 1.0) == 2.5 * fwd);
  CHECK(effective_flops(p, Pass::fwdbwd, 0.5) == 3.5 * fwd * 0.5);
  p.causal = true;
  CHECK(effective_flops(p, Pass::fwd, 1.0) == Approx(fwd * brute_force_causal_fraction(64, 128)));
}
