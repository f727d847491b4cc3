#include "reports/compare_noise.hpp"

#include <cmath>
#include <stdexcept>

#include <fmt/core.h>

#include "reports/compare_stats.hpp"

namespace fa {

double run_noise_floor(double median_ms, const RunNoiseModel& model) {
  if (!(median_ms > 0)) return model.relative;
  const double jitter = model.absolute_ms / median_ms;
  return std::sqrt(model.relative * model.relative + jitter * jitter);
}

NoiseAllowance noise_allowance(std::span<const double> run_medians_ms, const RunNoiseModel& model) {
  if (run_medians_ms.empty()) throw std::invalid_argument("noise allowance: no baseline run");
  NoiseAllowance a;
  a.runs = run_medians_ms.size();
  const double k = static_cast<double>(a.runs);
  double mean_log = 0;
  for (double m : run_medians_ms) {
    if (!(m > 0) || !std::isfinite(m)) throw std::invalid_argument("noise allowance: a run median is not > 0");
    mean_log += std::log(m) / k;
  }
  double ss = 0;
  for (double m : run_medians_ms) ss += (std::log(m) - mean_log) * (std::log(m) - mean_log);
  a.reference_ms = std::exp(mean_log);
  a.runs_spread = a.runs > 1 ? std::sqrt(ss / (k - 1)) : 0;

  // The prior: the standard deviation that makes a single-run baseline's bound the floor.
  const double q_prior = student_t_quantile(model.level, model.prior_runs);
  const double s0 = std::log1p(run_noise_floor(a.reference_ms, model)) / (q_prior * std::sqrt(2.0));
  a.df = model.prior_runs + k - 1;
  a.pooled_sd = std::sqrt((model.prior_runs * s0 * s0 + ss) / a.df);
  const double bound = student_t_quantile(model.level, a.df) * a.pooled_sd * std::sqrt(1 + 1 / k);
  a.fraction = std::expm1(bound);
  a.speedup_fraction = -std::expm1(-bound);
  return a;
}

std::string NoiseAllowance::basis() const {
  if (runs <= 1) return fmt::format("noise floor of a {:.4g} ms point, 1 baseline run", reference_ms);
  return fmt::format("{} baseline runs, spread {:.2f}%", runs, 100 * std::expm1(runs_spread));
}

std::string NoiseAllowance::text() const { return fmt::format("{:.1f}% ({})", 100 * fraction, basis()); }

}  // namespace fa
