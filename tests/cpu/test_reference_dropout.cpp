// Dropout keep-mask statistics and the reference forward's use of it.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/philox.hpp"
#include "reference/attention.hpp"
#include "tests/cpu/test_reference_util.hpp"

using namespace fa;
using namespace fa::reftest;

TEST_CASE("dropout keep rate is 1 - p within 5 standard errors", "[reference]") {
  for (double p : {0.1, 0.5}) {
    const std::uint32_t thr = dropout_threshold(p);
    // 1,048,576 elements spread over batch, head, row and column, so every counter word varies.
    std::int64_t kept = 0, n = 0, pairs_kept = 0, pairs = 0;
    for (std::uint32_t b = 0; b < 2; ++b) {
      for (std::uint32_t h = 0; h < 4; ++h) {
        for (std::uint32_t row = 0; row < 256; ++row) {
          bool prev = false;
          for (std::uint32_t col = 0; col < 512; ++col) {
            const bool k = dropout_keep(0xdeadbeefcafeULL, thr, b, h, row, col);
            kept += k;
            ++n;
            if (col > 0) {
              pairs_kept += (k && prev);
              ++pairs;
            }
            prev = k;
          }
        }
      }
    }
    const double rate = static_cast<double>(kept) / static_cast<double>(n);
    const double se = std::sqrt(p * (1 - p) / static_cast<double>(n));
    INFO("p=" << p << " keep rate " << rate);
    CHECK(std::abs(rate - (1 - p)) < 5 * se);
    // Neighbouring columns (often the same Philox call) must be independent: P(both) = (1-p)^2.
    const double q2 = (1 - p) * (1 - p);
    const double pair_rate = static_cast<double>(pairs_kept) / static_cast<double>(pairs);
    CHECK(std::abs(pair_rate - q2) < 5 * std::sqrt(q2 * (1 - q2) / static_cast<double>(pairs)));
  }
}

TEST_CASE("dropout threshold edges", "[reference]") {
  CHECK(dropout_threshold(0.0) == 0u);  // p = 0 keeps everything
  CHECK(dropout_threshold(0.5) == 0x80000000u);
  CHECK(dropout_threshold(1.0) == 0xFFFFFFFFu);
  for (std::uint32_t col = 0; col < 64; ++col) CHECK(dropout_keep(1, 0, 0, 0, 0, col));
}

TEST_CASE("reference forward with dropout: changes O, reproducible by seed", "[reference]") {
  ref::Config c = make_config(1, 2, 33, 40, 8, false, 0.0);
  const auto q = randn(q_size(c), 1), k = randn(kv_size(c), 2), v = randn(kv_size(c), 3);
  auto run = [&](double p, std::uint64_t seed) {
    ref::Config cc = c;
    cc.dropout = p;
    cc.seed = seed;
    std::vector<double> o(q_size(c)), lse(lse_size(c));
    ref::forward(cc, q.data(), k.data(), v.data(), o.data(), lse.data());
    return std::pair{o, lse};
  };
  const auto [o0, lse0] = run(0.0, 7);
  const auto [o1, lse1] = run(0.3, 7);
  const auto [o1b, lse1b] = run(0.3, 7);
  const auto [o2, lse2] = run(0.3, 8);
  CHECK(rel_l2(o1, o0) > 0.05);  // dropout changes the output noticeably
  CHECK(o1 == o1b);              // same seed: bit-identical
  CHECK(rel_l2(o2, o1) > 0.05);  // different seed: a different mask
  CHECK(lse1 == lse0);           // lse is taken before dropout
  CHECK(run(0.0, 8).first == o0);  // without dropout the seed is irrelevant
}
