// The between-run noise allowance (reports/compare_noise.hpp) and the Student t distribution behind
// it, against values known independently: printed t tables and closed forms (df 1: the Cauchy
// distribution; df 2: 1/2 + t / (2 sqrt(2 + t^2))).
#include <catch2/catch.hpp>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "reports/compare_noise.hpp"
#include "reports/compare_stats.hpp"

using namespace fa;

TEST_CASE("Student t CDF matches closed forms", "[compare]") {
  CHECK(student_t_cdf(0, 3) == Approx(0.5));
  CHECK(student_t_cdf(1, 1) == Approx(0.75).epsilon(1e-12));                       // Cauchy
  CHECK(student_t_cdf(-3, 1) == Approx(0.5 - std::atan(3.0) / M_PI).epsilon(1e-12));
  for (double t : {0.3, 1.0, 2.5, 10.0}) {
    CHECK(student_t_cdf(t, 2) == Approx(0.5 + t / (2 * std::sqrt(2 + t * t))).epsilon(1e-12));
  }
  // Large df: the normal distribution.
  CHECK(student_t_cdf(1.96, 1e7) == Approx(1 - normal_upper_tail(1.96)).epsilon(1e-6));
  CHECK_THROWS_AS(student_t_cdf(1, 0), std::invalid_argument);
}

TEST_CASE("Student t quantiles match the printed tables", "[compare]") {
  // Two-sided 5% and one-sided 0.1% columns of a t table.
  CHECK(student_t_quantile(0.975, 1) == Approx(12.706).epsilon(1e-4));
  CHECK(student_t_quantile(0.975, 10) == Approx(2.228).epsilon(1e-3));
  CHECK(student_t_quantile(0.999, 2) == Approx(22.327).epsilon(1e-4));
  CHECK(student_t_quantile(0.999, 4) == Approx(7.173).epsilon(1e-3));
  CHECK(student_t_quantile(0.999, 6) == Approx(5.208).epsilon(1e-3));
  CHECK(student_t_quantile(0.999, 8) == Approx(4.501).epsilon(1e-3));
  CHECK(student_t_quantile(0.999, 30) == Approx(3.385).epsilon(1e-3));
  CHECK(student_t_quantile(0.025, 10) == Approx(-2.228).epsilon(1e-3));
  CHECK(student_t_quantile(0.5, 7) == 0);
  CHECK_THROWS_AS(student_t_quantile(1.0, 4), std::invalid_argument);
  CHECK_THROWS_AS(student_t_quantile(0.9, -1), std::invalid_argument);
}

TEST_CASE("the single-run noise floor grows as points get shorter", "[compare]") {
  // sqrt(2.5%^2 + (2 us / duration)^2): 2.5% for long points, ~4.7% at 50 us, ~14% at 15 us.
  CHECK(run_noise_floor(100.0) == Approx(0.025).epsilon(1e-3));
  CHECK(run_noise_floor(1.0) == Approx(std::hypot(0.025, 0.002)));
  CHECK(run_noise_floor(0.05) == Approx(std::hypot(0.025, 0.04)));
  CHECK(run_noise_floor(0.015) == Approx(std::hypot(0.025, 0.002 / 0.015)));
  CHECK(run_noise_floor(0.5) < 0.035);  // a 5% slowdown of a 0.5 ms point stays above it
  RunNoiseModel wider;
  wider.relative = 0.05;
  CHECK(run_noise_floor(100.0, wider) == Approx(0.05).epsilon(1e-3));
}

TEST_CASE("a one-run baseline's allowance is the floor, agreeing runs tighten it, disagreeing ones widen it",
          "[compare]") {
  for (double ms : {0.02, 0.05, 0.3, 2.0, 40.0}) {
    const std::vector<double> one{ms};
    const NoiseAllowance a = noise_allowance(one);
    CHECK(a.runs == 1);
    CHECK(a.reference_ms == Approx(ms));
    CHECK(a.fraction == Approx(run_noise_floor(ms)).epsilon(1e-9));
    CHECK(a.speedup_fraction == Approx(1 - 1 / (1 + a.fraction)).epsilon(1e-9));  // the same distance in log
    CHECK(a.text().find("noise floor") != std::string::npos);
  }
  // Five runs of a 0.015 ms point (the shortest of the default sweep) that agree: the prior (4 df) is
  // pooled with zero spread (4 df), and
  // the bound is t(0.999, 8) * s0 * sqrt(4/8) * sqrt(1 + 1/5) with s0 = log(1 + floor) / (t(0.999, 4) sqrt 2).
  const std::vector<double> agree(5, 0.015);
  const NoiseAllowance a5 = noise_allowance(agree);
  const double s0 = std::log1p(run_noise_floor(0.015)) / (student_t_quantile(0.999, 4) * std::sqrt(2.0));
  const double bound = student_t_quantile(0.999, 8) * s0 * std::sqrt(0.5) * std::sqrt(1.2);
  CHECK(a5.df == 8);
  CHECK(a5.fraction == Approx(std::expm1(bound)).epsilon(1e-9));
  CHECK(a5.fraction < 0.06);  // a 10% slowdown of such a point is caught
  CHECK(a5.fraction > 0.02);  // a 2% one is not
  // Three agreeing runs: between the two.
  const NoiseAllowance a3 = noise_allowance(std::vector<double>(3, 0.015));
  CHECK(a3.fraction < noise_allowance(std::vector<double>{0.015}).fraction);
  CHECK(a3.fraction > a5.fraction);
  // Runs 10% apart: wider than the floor; the reference is their geometric mean.
  const std::vector<double> spread{0.045, 0.05, 0.055, 0.05, 0.0475};
  const NoiseAllowance wide = noise_allowance(spread);
  CHECK(wide.fraction > noise_allowance(std::vector<double>(5, 0.05)).fraction);
  CHECK(wide.runs_spread > 0);
  CHECK(wide.reference_ms == Approx(std::exp((std::log(0.045) + std::log(0.05) * 2 + std::log(0.055) +
                                               std::log(0.0475)) / 5)));
  CHECK(wide.text().find("5 baseline runs") != std::string::npos);
  CHECK_THROWS_AS(noise_allowance(std::vector<double>{}), std::invalid_argument);
  CHECK_THROWS_AS(noise_allowance(std::vector<double>{0.1, 0}), std::invalid_argument);
}
