// Reference backward checked by central finite differences of L = sum(O ∘ G): dL/dO = G, so
// backward(dout = G) must return dL/dQ, dL/dK, dL/dV. The dropout keep-mask depends only on
// (seed, b, h, i, j), not on the inputs, so L stays smooth and differences are meaningful.
#include <catch2/catch.hpp>

#include <cmath>

#include "core/philox.hpp"
#include "reference/attention.hpp"
#include "reference/masks.hpp"
#include "tests/cpu/test_reference_util.hpp"

using namespace fa;
using namespace fa::reftest;

namespace {

double loss(const ref::Config& c, const std::vector<double>& q, const std::vector<double>& k,
            const std::vector<double>& v, const std::vector<double>& g) {
  std::vector<double> o(q_size(c)), lse(lse_size(c));
  ref::forward(c, q.data(), k.data(), v.data(), o.data(), lse.data());
  double l = 0;
  for (std::size_t i = 0; i < o.size(); ++i) l += o[i] * g[i];
  return l;
}

// Central differences of the loss with respect to every element of x (one of q, k, v).
std::vector<double> numeric_grad(const ref::Config& c, std::vector<double>& q, std::vector<double>& k,
                                 std::vector<double>& v, const std::vector<double>& g, std::vector<double>& x) {
  const double eps = 1e-5;
  std::vector<double> grad(x.size());
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double saved = x[i];
    x[i] = saved + eps;
    const double lp = loss(c, q, k, v, g);
    x[i] = saved - eps;
    const double lm = loss(c, q, k, v, g);
    x[i] = saved;
    grad[i] = (lp - lm) / (2 * eps);
  }
  return grad;
}

void check_gradients(const ref::Config& c, std::uint64_t seed) {
  auto q = randn(q_size(c), seed), k = randn(kv_size(c), seed + 1), v = randn(kv_size(c), seed + 2);
  const auto g = randn(q_size(c), seed + 3);
  std::vector<double> o(q_size(c)), lse(lse_size(c));
  ref::forward(c, q.data(), k.data(), v.data(), o.data(), lse.data());
  std::vector<double> dq(q_size(c), 9.0), dk(kv_size(c), 9.0), dv(kv_size(c), 9.0);  // poisoned
  ref::backward(c, q.data(), k.data(), v.data(), o.data(), lse.data(), g.data(), dq.data(), dk.data(), dv.data());

  INFO("B" << c.batch << " H" << c.heads << " Nq" << c.seqlen_q << " Nk" << c.seqlen_kv << " D" << c.head_dim
           << " causal=" << c.causal << " p=" << c.dropout << " mask=" << (c.mask != nullptr));
  const auto nq = numeric_grad(c, q, k, v, g, q);
  const auto nk = numeric_grad(c, q, k, v, g, k);
  const auto nv = numeric_grad(c, q, k, v, g, v);
  REQUIRE(l2(nq) > 1e-3);  // the check means nothing if the gradient is zero
  REQUIRE(l2(nk) > 1e-3);
  REQUIRE(l2(nv) > 1e-3);
  CHECK(rel_l2(dq, nq) < 1e-6);
  CHECK(rel_l2(dk, nk) < 1e-6);
  CHECK(rel_l2(dv, nv) < 1e-6);
}

}  // namespace

TEST_CASE("reference backward matches finite differences", "[reference]") {
  SECTION("dense") { check_gradients(make_config(1, 2, 5, 7, 3), 10); }
  SECTION("causal, Nq < Nk") { check_gradients(make_config(1, 2, 5, 7, 3, true), 20); }
  SECTION("causal, Nq > Nk") { check_gradients(make_config(2, 1, 7, 4, 4, true), 30); }
  SECTION("causal, square") { check_gradients(make_config(1, 1, 6, 6, 5, true), 40); }
  SECTION("dropout") { check_gradients(make_config(1, 2, 6, 9, 3, false, 0.3), 50); }
  SECTION("dropout + causal") { check_gradients(make_config(2, 1, 8, 5, 2, true, 0.5), 60); }
  SECTION("block mask") {
    const BlockMask m = ref::make_block_mask({"random", 0.5, 2, 3}, 2, 7, 8, 3);
    check_gradients(make_config(1, 2, 7, 8, 3, false, 0.0, &m), 70);
  }
  SECTION("block mask + causal + dropout") {
    const BlockMask m = ref::make_block_mask({"random", 0.6, 3, 2}, 2, 8, 8, 4);
    check_gradients(make_config(1, 2, 8, 8, 4, true, 0.2, &m), 80);
  }
}

TEST_CASE("reference backward: delta = rowsum(dP o P) equals rowsum(dO o O) under dropout", "[reference]") {
  // The flash backward uses rowsum(dO ∘ O); the reference uses sum_j P_ij dP_ij. With dropout
  // O = (P ∘ keep/(1-p)) V and dP = (dO V^T) ∘ keep/(1-p), so both equal sum_j P_ij keep_ij/(1-p) (dO_i·V_j).
  ref::Config c = make_config(1, 2, 9, 13, 5, false, 0.4);
  const auto q = randn(q_size(c), 1), k = randn(kv_size(c), 2), v = randn(kv_size(c), 3), dout = randn(q_size(c), 4);
  std::vector<double> o(q_size(c)), lse(lse_size(c));
  ref::forward(c, q.data(), k.data(), v.data(), o.data(), lse.data());
  const std::int64_t d = c.head_dim, nqk = c.seqlen_q, nkk = c.seqlen_kv;
  const std::uint32_t thr = dropout_threshold8(c.dropout);
  for (std::int64_t h = 0; h < c.heads; ++h) {
    for (std::int64_t i = 0; i < nqk; ++i) {
      const std::size_t row = static_cast<std::size_t>(h * nqk + i);
      double via_o = 0;
      for (std::int64_t x = 0; x < d; ++x) via_o += dout[row * d + x] * o[row * d + x];
      double via_p = 0;
      for (std::int64_t j = 0; j < nkk; ++j) {
        double s = 0, dpd = 0;
        for (std::int64_t x = 0; x < d; ++x) {
          s += q[row * d + x] * k[static_cast<std::size_t>((h * nkk + j) * d + x)];
          dpd += dout[row * d + x] * v[static_cast<std::size_t>((h * nkk + j) * d + x)];
        }
        const double p = std::exp(c.scale * s - lse[row]);
        const bool keep = dropout_keep(c.seed, thr, 0, static_cast<std::uint32_t>(h), static_cast<std::uint32_t>(i),
                                       static_cast<std::uint32_t>(j));
        via_p += p * (keep ? dpd / (1 - dropout_p_used(c.dropout)) : 0.0);
      }
      REQUIRE(std::abs(via_p) > 1e-6);
      CHECK(via_p == Approx(via_o).epsilon(1e-12).margin(1e-13));
    }
  }
}

TEST_CASE("reference backward ignores o and lse (may be null)", "[reference]") {
  ref::Config c = make_config(1, 1, 6, 6, 4, true, 0.2);
  const auto q = randn(q_size(c), 5), k = randn(kv_size(c), 6), v = randn(kv_size(c), 7), g = randn(q_size(c), 8);
  std::vector<double> o(q_size(c)), lse(lse_size(c));
  ref::forward(c, q.data(), k.data(), v.data(), o.data(), lse.data());
  std::vector<double> dq1(q_size(c)), dk1(kv_size(c)), dv1(kv_size(c)), dq2(q_size(c)), dk2(kv_size(c)),
      dv2(kv_size(c));
  ref::backward(c, q.data(), k.data(), v.data(), o.data(), lse.data(), g.data(), dq1.data(), dk1.data(), dv1.data());
  ref::backward(c, q.data(), k.data(), v.data(), nullptr, nullptr, g.data(), dq2.data(), dk2.data(), dv2.data());
  CHECK(dq1 == dq2);
  CHECK(dk1 == dk2);
  CHECK(dv1 == dv2);
  CHECK(l2(dq1) > 0.01);
}
