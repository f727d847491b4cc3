// Dropout keep-mask statistics and the reference forward's use of it.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/philox.hpp"
#include "reference/attention.hpp"
#include "tests/cpu/test_reference_util.hpp"
#include "tests/dropout_probe.hpp"

using namespace fa;
using namespace fa::reftest;

namespace {
// P(a and b kept) against (1 - p)^2 within 5 standard errors.
void check_pair_independence(std::int64_t both, std::int64_t pairs, double p) {
  const double q2 = (1 - p) * (1 - p);
  const double rate = static_cast<double>(both) / static_cast<double>(pairs);
  INFO("pairs " << pairs << " both kept " << rate << " want " << q2);
  CHECK(std::abs(rate - q2) < 5 * std::sqrt(q2 * (1 - q2) / static_cast<double>(pairs)));
}
}  // namespace

TEST_CASE("dropout keep rate is 1 - p_used within 5 standard errors", "[reference]") {
  for (double p : {0.1, 0.17, 0.5}) {
    const std::uint32_t t8 = dropout_threshold8(p);
    const double pu = dropout_p_used(p);
    // 1,048,576 elements spread over batch, head, row and column, so every counter word varies.
    // Neighbour pairs that share one Philox call (columns 2t, 2t+1; rows r, r+8; columns 8 apart)
    // must be independent too: P(both kept) = (1 - p)^2.
    std::int64_t kept = 0, n = 0, col_pairs = 0, row_pairs = 0, q_pairs = 0, pairs = 0;
    for (std::uint32_t b = 0; b < 2; ++b) {
      for (std::uint32_t h = 0; h < 4; ++h) {
        for (std::uint32_t row = 0; row < 256; ++row) {
          for (std::uint32_t col = 0; col < 512; ++col) {
            const bool k = dropout_keep(0xdeadbeefcafeULL, t8, b, h, row, col);
            kept += k;
            ++n;
            if (col % 2 == 0 && (row & 8) == 0 && col % 32 < 24) {
              col_pairs += k && dropout_keep(0xdeadbeefcafeULL, t8, b, h, row, col + 1);
              row_pairs += k && dropout_keep(0xdeadbeefcafeULL, t8, b, h, row + 8, col);
              q_pairs += k && dropout_keep(0xdeadbeefcafeULL, t8, b, h, row, col + 8);
              ++pairs;
            }
          }
        }
      }
    }
    const double rate = static_cast<double>(kept) / static_cast<double>(n);
    const double se = std::sqrt(pu * (1 - pu) / static_cast<double>(n));
    INFO("p=" << p << " p_used=" << pu << " keep rate " << rate);
    CHECK(std::abs(rate - (1 - pu)) < 5 * se);
    check_pair_independence(col_pairs, pairs, pu);
    check_pair_independence(row_pairs, pairs, pu);
    check_pair_independence(q_pairs, pairs, pu);
  }
}

TEST_CASE("reference dropout applies p_used: p and its rounding give the same output", "[reference]") {
  ref::Config c = make_config(1, 2, 40, 70, 8, true, 0.1);
  const auto q = randn(q_size(c), 1), k = randn(kv_size(c), 2), v = randn(kv_size(c), 3);
  auto run = [&](double p) {
    ref::Config cc = c;
    cc.dropout = p;
    std::vector<double> o(q_size(c)), lse(lse_size(c));
    ref::forward(cc, q.data(), k.data(), v.data(), o.data(), lse.data());
    return o;
  };
  CHECK(run(0.1) == run(26.0 / 256));   // 0.1 rounds to 26/256: same mask, same 1 / (1 - 26/256)
  CHECK(run(0.001) == run(0.0));        // rounds to 0: no element dropped, scale 1
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

TEST_CASE("reference forward and backward drop exactly the elements of the definition", "[reference]") {
  // tests/dropout_probe.hpp: O and dV spell out every keep flag of the B x H x 128 x 128 mask.
  for (double p : {0.5, 0.17}) {
    const Problem pr = testing::dropout_probe_problem(2, 2, 32, DType::fp32, p, 0x5eed0000ULL + 17);
    const HostInputs in = testing::dropout_probe_inputs(pr);
    const ref::Config c = ref::config_for(pr, nullptr);
    std::vector<double> o(q_size(c)), lse(lse_size(c)), dq(q_size(c)), dk(kv_size(c)), dv(kv_size(c));
    ref::forward(c, in.q.data(), in.k.data(), in.v.data(), o.data(), lse.data());
    ref::backward(c, in.q.data(), in.k.data(), in.v.data(), o.data(), lse.data(), in.dout.data(), dq.data(), dk.data(),
                  dv.data());
    for (bool forward : {true, false}) {
      const testing::ProbeResult r = testing::check_dropout_probe(pr, forward ? o : dv, forward);
      INFO("p " << p << (forward ? " forward" : " backward") << ": " << r.first);
      CHECK(r.checked == 2 * 2 * 128 * 128);
      CHECK(r.unreadable == 0);
      CHECK(r.mismatches == 0);
    }
  }
}
