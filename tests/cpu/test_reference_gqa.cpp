// Reference attention with grouped K/V heads against the definition: grouped-query attention is
// multi-head attention on K/V heads repeated for the query heads of each group, so its O and lse
// equal those of the expanded problem, and its dK/dV are the expanded problem's summed over each
// group (the chain rule through the repetition). The multi-head reference is itself checked by
// finite differences (test_reference_backward.cpp).
#include <catch2/catch.hpp>

#include <vector>

#include "core/philox.hpp"
#include "reference/attention.hpp"
#include "reference/masks.hpp"
#include "tests/cpu/test_reference_util.hpp"

using namespace fa;
using namespace fa::reftest;

namespace {

std::size_t kv_group_size(const ref::Config& c, std::int64_t heads) {
  return static_cast<std::size_t>(c.batch * heads * c.seqlen_kv * c.head_dim);
}

// [B, Hkv, N, D] -> [B, H, N, D]: query head h gets K/V head h / group.
std::vector<double> repeat_heads(const std::vector<double>& x, const ref::Config& c) {
  const std::int64_t group = c.heads / c.kv_heads, n = c.seqlen_kv * c.head_dim;
  std::vector<double> out(kv_group_size(c, c.heads));
  for (std::int64_t b = 0; b < c.batch; ++b)
    for (std::int64_t h = 0; h < c.heads; ++h)
      for (std::int64_t e = 0; e < n; ++e)
        out[static_cast<std::size_t>((b * c.heads + h) * n + e)] =
            x[static_cast<std::size_t>((b * c.kv_heads + h / group) * n + e)];
  return out;
}

// [B, H, N, D] -> [B, Hkv, N, D]: the sum over each group's query heads.
std::vector<double> sum_groups(const std::vector<double>& x, const ref::Config& c) {
  const std::int64_t group = c.heads / c.kv_heads, n = c.seqlen_kv * c.head_dim;
  std::vector<double> out(kv_group_size(c, c.kv_heads), 0.0);
  for (std::int64_t b = 0; b < c.batch; ++b)
    for (std::int64_t h = 0; h < c.heads; ++h)
      for (std::int64_t e = 0; e < n; ++e)
        out[static_cast<std::size_t>((b * c.kv_heads + h / group) * n + e)] +=
            x[static_cast<std::size_t>((b * c.heads + h) * n + e)];
  return out;
}

void check_against_expansion(ref::Config c, std::uint64_t seed) {
  INFO("H" << c.heads << " KV" << c.kv_heads << " Nq" << c.seqlen_q << " Nk" << c.seqlen_kv << " causal=" << c.causal
           << " p=" << c.dropout << " mask=" << (c.mask != nullptr));
  ref::Config mha = c;
  mha.kv_heads = 0;
  const auto q = randn(q_size(c), seed), dout = randn(q_size(c), seed + 3);
  const auto k = randn(kv_group_size(c, c.kv_heads), seed + 1), v = randn(kv_group_size(c, c.kv_heads), seed + 2);
  const auto k_rep = repeat_heads(k, c), v_rep = repeat_heads(v, c);

  std::vector<double> o(q_size(c)), lse(lse_size(c)), o_mha(q_size(c)), lse_mha(lse_size(c));
  ref::forward(c, q.data(), k.data(), v.data(), o.data(), lse.data());
  ref::forward(mha, q.data(), k_rep.data(), v_rep.data(), o_mha.data(), lse_mha.data());
  CHECK(o == o_mha);  // the same arithmetic in the same order: bit for bit
  CHECK(lse == lse_mha);

  std::vector<double> dq(q_size(c), 9.0), dk(kv_group_size(c, c.kv_heads), 9.0), dv(dk.size(), 9.0);  // poisoned
  std::vector<double> dq_mha(q_size(c)), dk_mha(k_rep.size()), dv_mha(k_rep.size());
  ref::backward(c, q.data(), k.data(), v.data(), o.data(), lse.data(), dout.data(), dq.data(), dk.data(), dv.data());
  ref::backward(mha, q.data(), k_rep.data(), v_rep.data(), o_mha.data(), lse_mha.data(), dout.data(), dq_mha.data(),
                dk_mha.data(), dv_mha.data());
  CHECK(dq == dq_mha);
  REQUIRE(l2(dk) > 1e-3);
  CHECK(rel_l2(dk, sum_groups(dk_mha, c)) < 1e-13);
  CHECK(rel_l2(dv, sum_groups(dv_mha, c)) < 1e-13);
  // Summing is the point: one query head's share alone is far off.
  if (c.heads != c.kv_heads) CHECK(rel_l2(dk, std::vector<double>(dk_mha.begin(), dk_mha.begin() + dk.size())) > 0.1);
}

}  // namespace

TEST_CASE("reference GQA/MQA equals multi-head attention on repeated K/V heads", "[reference][gqa]") {
  for (const auto [heads, kv] : {std::pair{4, 2}, std::pair{4, 1}, std::pair{3, 3}}) {
    for (const bool causal : {false, true}) {
      ref::Config c = make_config(2, heads, 13, 21, 8, causal, 0.0);
      c.kv_heads = kv;
      check_against_expansion(c, 100 + heads * 10 + kv);
      c.seqlen_q = 21, c.seqlen_kv = 13;  // Nq > Nk: causal leaves rows with no key
      check_against_expansion(c, 200 + heads * 10 + kv);
    }
  }
}

TEST_CASE("reference GQA keys dropout and block masks on the query head", "[reference][gqa]") {
  ref::Config c = make_config(1, 4, 40, 40, 8, true, 0.2);
  c.kv_heads = 2;
  check_against_expansion(c, 7);
  Sparsity s;
  s.pattern = "random";
  s.density = 0.5;
  s.block_q = s.block_k = 8;
  const BlockMask m = ref::make_block_mask(s, 4, 40, 40, 3);
  REQUIRE(m.heads == 4);  // a mask that differs per query head
  c.dropout = 0.0;
  c.mask = &m;
  check_against_expansion(c, 8);
}

TEST_CASE("reference refuses K/V heads that do not divide the query heads", "[reference][gqa]") {
  ref::Config c = make_config(1, 4, 8, 8, 8, false, 0.0);
  c.kv_heads = 3;
  std::vector<double> q(q_size(c)), k(24 * 8), v(24 * 8), o(q_size(c)), lse(lse_size(c));
  CHECK_THROWS_WITH(ref::forward(c, q.data(), k.data(), v.data(), o.data(), lse.data()),
                    Catch::Contains("kv_heads must divide heads"));
}
