// Reference forward against a naive materialise-S-then-softmax implementation, over shapes that
// exercise Nq != Nk both ways, odd head dims, causal alignment, block masks and dropout.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "core/masking.hpp"
#include "reference/attention.hpp"
#include "reference/masks.hpp"
#include "tests/cpu/test_reference_util.hpp"

using namespace fa;
using namespace fa::reftest;

namespace {

struct Shape {
  std::int64_t b, h, nq, nk, d;
};

// Runs both implementations and checks O and lse agree to 1e-12 (absolute; inputs are N(0,1) so
// O and lse are O(1)), that -inf lse entries coincide and that O is not trivially zero.
void check_forward(const ref::Config& c, std::uint64_t seed) {
  const auto q = randn(q_size(c), seed), k = randn(kv_size(c), seed + 1), v = randn(kv_size(c), seed + 2);
  std::vector<double> o(q_size(c), -7.0), lse(lse_size(c), -7.0);  // poisoned: every entry must be written
  ref::forward(c, q.data(), k.data(), v.data(), o.data(), lse.data());
  const NaiveOut want = naive_forward(c, q, k, v);
  INFO("B" << c.batch << " H" << c.heads << " Nq" << c.seqlen_q << " Nk" << c.seqlen_kv << " D" << c.head_dim
           << " causal=" << c.causal << " p=" << c.dropout << " mask=" << (c.mask != nullptr));
  CHECK(max_abs_diff(o, want.o) < 1e-12);
  CHECK(max_abs_diff(lse, want.lse) < 1e-12);
  for (std::size_t i = 0; i < lse.size(); ++i) REQUIRE(std::isinf(lse[i]) == std::isinf(want.lse[i]));
  // Not trivially zero, unless dropout removed the only key of a one-key problem.
  const bool lone_key_dropped = c.dropout > 0 && c.seqlen_kv == 1 && l2(want.o) == 0.0;
  CHECK((lone_key_dropped || l2(o) > 0.1));
  CHECK(all_finite(o));
}

const Shape kShapes[] = {
    {1, 1, 1, 1, 1},    // degenerate: softmax over one key
    {2, 3, 17, 17, 5},  // square, odd D, several batches/heads
    {1, 2, 13, 29, 7},  // Nq < Nk
    {1, 2, 31, 9, 3},   // Nq > Nk (causal: leading rows fully masked)
    {1, 1, 64, 64, 64}, // a typical head dim
    {2, 1, 6, 11, 1},   // D = 1
};

}  // namespace

TEST_CASE("reference forward matches naive attention (dense, causal)", "[reference]") {
  std::uint64_t seed = 100;
  for (const Shape& s : kShapes) {
    for (bool causal : {false, true}) check_forward(make_config(s.b, s.h, s.nq, s.nk, s.d, causal), seed += 3);
  }
}

TEST_CASE("reference forward matches naive attention with block masks", "[reference]") {
  std::uint64_t seed = 200;
  for (const Shape& s : kShapes) {
    // Block sizes that do not divide N, per-head random masks and a shared local mask.
    const BlockMask random = ref::make_block_mask({"random", 0.5, 4, 3}, s.h, s.nq, s.nk, 77);
    const BlockMask local = ref::make_block_mask({"local", 0.3, 5, 4}, s.h, s.nq, s.nk, 0);
    for (const BlockMask* m : {&random, &local}) {
      for (bool causal : {false, true}) check_forward(make_config(s.b, s.h, s.nq, s.nk, s.d, causal, 0.0, m), seed += 3);
    }
  }
}

TEST_CASE("reference forward matches naive attention with dropout", "[reference]") {
  std::uint64_t seed = 300;
  for (const Shape& s : kShapes) {
    for (double p : {0.1, 0.5}) {
      check_forward(make_config(s.b, s.h, s.nq, s.nk, s.d, false, p), seed += 3);
      check_forward(make_config(s.b, s.h, s.nq, s.nk, s.d, true, p), seed += 3);
    }
  }
}

TEST_CASE("reference forward is stable for large logits", "[reference]") {
  // Scores of order 1e3: a naive exp would overflow; the max-subtracted softmax must not.
  ref::Config c = make_config(1, 2, 19, 23, 8);
  const auto q = randn(q_size(c), 1, 30.0), k = randn(kv_size(c), 2, 30.0), v = randn(kv_size(c), 3);
  std::vector<double> o(q_size(c)), lse(lse_size(c));
  ref::forward(c, q.data(), k.data(), v.data(), o.data(), lse.data());
  CHECK(all_finite(o));
  CHECK(all_finite(lse));
  const NaiveOut want = naive_forward(c, q, k, v);
  CHECK(max_abs_diff(o, want.o) < 1e-10);
  CHECK(max_abs_diff(lse, want.lse) < 1e-9);  // lse itself is ~1e3 here
}

TEST_CASE("reference visible() follows bottom-right causal alignment and the mask", "[reference]") {
  for (auto [nq, nk] : {std::pair<std::int64_t, std::int64_t>{7, 12}, {12, 7}, {9, 9}}) {
    const BlockMask mm = ref::make_block_mask({"random", 0.5, 3, 2}, 2, nq, nk, 5);
    for (bool causal : {false, true}) {
      for (const BlockMask* mask : {static_cast<const BlockMask*>(nullptr), &mm}) {
        const ref::Config c = make_config(1, 2, nq, nk, 4, causal, 0.0, mask);
        for (std::int64_t h = 0; h < 2; ++h) {
          for (std::int64_t i = 0; i < nq; ++i) {
            for (std::int64_t j = 0; j < nk; ++j) REQUIRE(ref::visible(c, h, i, j) == naive_visible(c, h, i, j));
          }
        }
      }
    }
  }
  // Spot values of the alignment: with Nq = 2, Nk = 5 the last query row sees every key.
  const ref::Config c = make_config(1, 1, 2, 5, 1, true);
  CHECK(ref::visible(c, 0, 1, 4));
  CHECK(ref::visible(c, 0, 0, 3));
  CHECK_FALSE(ref::visible(c, 0, 0, 4));
}

TEST_CASE("reference config_for copies the problem", "[reference]") {
  Problem p;
  p.batch = 3;
  p.heads = 5;
  p.seqlen_q = 100;
  p.seqlen_kv = 70;
  p.head_dim = 48;
  p.causal = true;
  p.dropout = 0.25;
  p.seed = 99;
  const BlockMask mask = ref::make_block_mask({"local", 0.5, 32, 32}, 5, 100, 70, 0);
  ref::Config c = ref::config_for(p, &mask);
  CHECK(c.batch == 3);
  CHECK(c.heads == 5);
  CHECK(c.seqlen_q == 100);
  CHECK(c.seqlen_kv == 70);
  CHECK(c.head_dim == 48);
  CHECK(c.causal);
  CHECK(c.dropout == 0.25);
  CHECK(c.seed == 99);
  CHECK(c.mask == &mask);
  CHECK(c.scale == Approx(1.0 / std::sqrt(48.0)).epsilon(1e-15));
  p.softmax_scale = 0.5;
  CHECK(ref::config_for(p, nullptr).scale == 0.5);
  CHECK(ref::config_for(p, nullptr).mask == nullptr);
}

TEST_CASE("reference forward rejects inconsistent configurations", "[reference]") {
  ref::Config c = make_config(1, 2, 8, 8, 4);
  std::vector<double> q(q_size(c), 1.0), o(q_size(c)), lse(lse_size(c));
  c.dropout = 1.0;
  CHECK_THROWS(ref::forward(c, q.data(), q.data(), q.data(), o.data(), lse.data()));
  c.dropout = 0.0;
  const BlockMask wrong = ref::make_block_mask({"local", 0.5, 4, 4}, 2, 16, 8, 0);  // built for Nq = 16
  c.mask = &wrong;
  CHECK_THROWS(ref::forward(c, q.data(), q.data(), q.data(), o.data(), lse.data()));
}
