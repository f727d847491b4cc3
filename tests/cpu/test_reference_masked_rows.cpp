// Rows that see no key at all (causal with Nq > Nk, or an all-zero block-mask row) are defined
// as O = 0, lse = -inf, dQ = 0, and contribute nothing to dK/dV. No NaN may appear.
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>

#include "reference/attention.hpp"
#include "tests/cpu/test_reference_util.hpp"

using namespace fa;
using namespace fa::reftest;

namespace {

// masked(h, i): whether query row i of head h is expected to be fully masked.
void check_masked_rows(const ref::Config& c, const std::function<bool(std::int64_t, std::int64_t)>& masked) {
  const std::int64_t d = c.head_dim, nq = c.seqlen_q;
  const auto q = randn(q_size(c), 1), k = randn(kv_size(c), 2), v = randn(kv_size(c), 3);
  auto g = randn(q_size(c), 4);
  std::vector<double> o(q_size(c), 5.0), lse(lse_size(c), 5.0);
  ref::forward(c, q.data(), k.data(), v.data(), o.data(), lse.data());
  std::vector<double> dq(q_size(c), 5.0), dk(kv_size(c), 5.0), dv(kv_size(c), 5.0);
  ref::backward(c, q.data(), k.data(), v.data(), o.data(), lse.data(), g.data(), dq.data(), dk.data(), dv.data());

  std::int64_t n_masked = 0, n_live = 0;
  for (std::int64_t bh = 0; bh < c.batch * c.heads; ++bh) {
    for (std::int64_t i = 0; i < nq; ++i) {
      const std::size_t r = static_cast<std::size_t>(bh * nq + i);
      const bool m = masked(bh % c.heads, i);
      (m ? n_masked : n_live) += 1;
      INFO("bh=" << bh << " row=" << i);
      if (m) {
        CHECK(lse[r] == -std::numeric_limits<double>::infinity());
        for (std::int64_t x = 0; x < d; ++x) {
          CHECK(o[r * d + x] == 0.0);
          CHECK(dq[r * d + x] == 0.0);
        }
      } else {
        CHECK(std::isfinite(lse[r]));
      }
    }
  }
  REQUIRE(n_masked > 0);  // the configuration really has fully masked rows...
  REQUIRE(n_live > 0);    // ...and rows that are not
  CHECK(all_finite(o));
  CHECK(all_finite(dq));
  CHECK(all_finite(dk));
  CHECK(all_finite(dv));
  CHECK(l2(dk) > 0.01);
  CHECK(l2(dv) > 0.01);

  // Changing dO on masked rows must not change any gradient: they contribute nothing.
  for (std::int64_t bh = 0; bh < c.batch * c.heads; ++bh) {
    for (std::int64_t i = 0; i < nq; ++i) {
      if (!masked(bh % c.heads, i)) continue;
      for (std::int64_t x = 0; x < d; ++x) g[static_cast<std::size_t>((bh * nq + i) * d + x)] += 100.0;
    }
  }
  std::vector<double> dq2(q_size(c)), dk2(kv_size(c)), dv2(kv_size(c));
  ref::backward(c, q.data(), k.data(), v.data(), o.data(), lse.data(), g.data(), dq2.data(), dk2.data(), dv2.data());
  CHECK(dq2 == dq);
  CHECK(dk2 == dk);
  CHECK(dv2 == dv);
}

}  // namespace

TEST_CASE("reference: causal with Nq > Nk leaves the first Nq - Nk rows empty", "[reference]") {
  for (double p : {0.0, 0.3}) {
    const ref::Config c = make_config(2, 2, 11, 4, 3, true, p);
    check_masked_rows(c, [](std::int64_t, std::int64_t i) { return i < 11 - 4; });
  }
}

TEST_CASE("reference: an all-zero block-mask row leaves its query rows empty", "[reference]") {
  // Per-head mask over Nq = 10, Nk = 9 in 4x4 blocks: head 0 drops query block 1 entirely,
  // head 1 drops query block 2 (the partial last block, rows 8..9).
  BlockMask m;
  m.heads = 2;
  m.block_q = 4;
  m.block_k = 4;
  m.blocks_q = 3;
  m.blocks_k = 3;
  m.bits = {1, 0, 1, /**/ 0, 0, 0, /**/ 1, 1, 0,  // head 0
            1, 0, 1, /**/ 1, 1, 0, /**/ 0, 0, 0}; // head 1
  for (bool causal : {false, true}) {
    const ref::Config c = make_config(1, 2, 10, 9, 5, causal, 0.0, &m);
    // With causal and Nq - Nk = 1, row 0 sees no key either.
    check_masked_rows(c, [causal](std::int64_t h, std::int64_t i) {
      return (causal && i == 0) || (h == 0 ? (i >= 4 && i < 8) : i >= 8);
    });
  }
}
