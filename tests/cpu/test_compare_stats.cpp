// Mann-Whitney U against values known independently: the textbook small-sample tables (also what
// R's wilcox.test prints for these data) and, with ties, a brute-force enumeration of every way
// to split the pooled values (Python, exact fractions); the normal approximation against the
// closed formula evaluated by hand (tie term sum t^3 - t, continuity correction 0.5).
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "reports/compare_stats.hpp"

using fa::mann_whitney_u;

TEST_CASE("Mann-Whitney exact p-values of small samples without ties", "[compare]") {
  // Complete separation: U = 0, one of C(6,3) = 20 splits at each extreme -> p = 2/20.
  auto r = mann_whitney_u(std::vector<double>{1, 2, 3}, std::vector<double>{4, 5, 6});
  CHECK(r.exact);
  CHECK(r.u_first == 0);
  CHECK(r.u_second == 9);
  CHECK(r.p_value == Approx(0.1).epsilon(1e-12));

  // 5 + 5 separated: 2 / C(10,5) = 2/252.
  r = mann_whitney_u(std::vector<double>{1, 2, 3, 4, 5}, std::vector<double>{6, 7, 8, 9, 10});
  CHECK(r.u_first == 0);
  CHECK(r.p_value == Approx(2.0 / 252).epsilon(1e-12));
  CHECK(r.min_attainable_p == Approx(2.0 / 252).epsilon(1e-12));

  // Interleaved: U = 3 (pairs 3>2, 5>2, 5>4); counts of U = 0..9 are 1,1,2,3,3,3,3,2,1,1, and
  // |U - 4.5| >= 1.5 holds for 14 of the 20 -> p = 0.7.
  r = mann_whitney_u(std::vector<double>{1, 3, 5}, std::vector<double>{2, 4, 6});
  CHECK(r.u_first == 3);
  CHECK(r.u_second == 6);
  CHECK(r.p_value == Approx(0.7).epsilon(1e-12));
}

TEST_CASE("Mann-Whitney exact p-values with ties (midranks)", "[compare]") {
  // Brute force over the C(9,4) = 126 splits: 14 are at least as extreme -> 1/9.
  auto r = mann_whitney_u(std::vector<double>{1, 2, 2, 3}, std::vector<double>{2, 3, 3, 4, 5});
  CHECK(r.exact);
  CHECK(r.u_first == 3);  // ties count one half
  CHECK(r.p_value == Approx(1.0 / 9).epsilon(1e-12));

  // Ties across the groups at the lowest value: brute force gives 8/35.
  r = mann_whitney_u(std::vector<double>{1, 1, 2}, std::vector<double>{1, 3, 3, 3});
  CHECK(r.u_first == 2);
  CHECK(r.p_value == Approx(8.0 / 35).epsilon(1e-12));
}

TEST_CASE("Mann-Whitney is symmetric in its samples", "[compare]") {
  const std::vector<double> a{1, 2, 2, 3}, b{2, 3, 3, 4, 5};
  const auto ab = mann_whitney_u(a, b), ba = mann_whitney_u(b, a);
  CHECK(ab.u_first == ba.u_second);
  CHECK(ab.p_value == Approx(ba.p_value).epsilon(1e-12));
}

TEST_CASE("Mann-Whitney normal approximation with tie correction", "[compare]") {
  // 30 + 30 (above the exact limit), separated: mu = 450, sigma^2 = 900 * 61 / 12,
  // z = (450 - 0.5) / sigma = 6.645 -> p = 3.0199e-11.
  std::vector<double> x, y;
  for (int i = 1; i <= 30; ++i) x.push_back(i), y.push_back(30 + i);
  auto r = mann_whitney_u(x, y);
  CHECK_FALSE(r.exact);
  CHECK(r.u_first == 0);
  CHECK(r.p_value == Approx(3.019859359e-11).epsilon(1e-6));

  // Every value three times (1..10 against 3..12): tie term sum(t^3 - t) = 1776, U = 288,
  // sigma^2 = 900/12 * (61 - 1776 / 3540), z = (|288 - 450| - 0.5) / sigma -> p = 0.0165045.
  x.clear();
  y.clear();
  for (int i = 0; i < 30; ++i) x.push_back(1 + i / 3), y.push_back(3 + i / 3);
  r = mann_whitney_u(x, y);
  CHECK(r.u_first == 288);
  CHECK(r.p_value == Approx(0.016504477).epsilon(1e-6));

  // Overlapping ranges 1..30 and 16..45: U = 112.5 (15 ties), tie term 90 -> p = 6.248e-7.
  x.clear();
  y.clear();
  for (int i = 1; i <= 30; ++i) x.push_back(i), y.push_back(15 + i);
  r = mann_whitney_u(x, y);
  CHECK(r.u_first == 112.5);
  CHECK(r.p_value == Approx(6.247984929e-07).epsilon(1e-6));
}

TEST_CASE("Mann-Whitney edge cases", "[compare]") {
  // 4 + 4 samples can never give p below 2/70: the caller must know the test cannot reject.
  auto r = mann_whitney_u(std::vector<double>{1, 2, 3, 4}, std::vector<double>{5, 6, 7, 8});
  CHECK(r.min_attainable_p == Approx(2.0 / 70).epsilon(1e-12));
  CHECK(r.p_value == Approx(2.0 / 70).epsilon(1e-12));

  // Identical samples: no evidence of a difference, exact and normal alike.
  r = mann_whitney_u(std::vector<double>{3, 3, 3}, std::vector<double>{3, 3});
  CHECK(r.p_value == 1);
  const std::vector<double> same(40, 2.5);
  r = mann_whitney_u(same, same);
  CHECK_FALSE(r.exact);
  CHECK(r.p_value == 1);

  CHECK_THROWS_AS(mann_whitney_u(std::vector<double>{}, std::vector<double>{1}), std::invalid_argument);
  CHECK_THROWS_AS(mann_whitney_u(std::vector<double>{NAN}, std::vector<double>{1}), std::invalid_argument);
  CHECK(fa::normal_upper_tail(1.959963985) == Approx(0.025).epsilon(1e-8));
}
