#include "reports/compare_time.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include "core/time_stats.hpp"
#include "reports/compare_format.hpp"
#include "reports/compare_stats.hpp"

namespace fa {
namespace {

bool usable(const Row& r) {
  return r.status == Status::ok && r.time.median_ms > 0 && std::isfinite(r.time.median_ms);
}

bool has_sample_clocks(const Row& r) {
  if (r.samples_ms.empty() || r.samples_clock_mhz.size() != r.samples_ms.size()) return false;
  return std::all_of(r.samples_clock_mhz.begin(), r.samples_clock_mhz.end(),
                     [](double c) { return std::isfinite(c) && c > 0; });
}

// A row's finite samples on the gated scale: each scaled by its own clock over `reference_mhz`
// (the time it would have taken at that clock), or as measured when reference_mhz is 0.
std::vector<double> gated_samples(const Row& r, double reference_mhz) {
  std::vector<double> out;
  out.reserve(r.samples_ms.size());
  for (std::size_t i = 0; i < r.samples_ms.size(); ++i) {
    if (!std::isfinite(r.samples_ms[i])) continue;
    out.push_back(reference_mhz > 0 ? r.samples_ms[i] * r.samples_clock_mhz[i] / reference_mhz : r.samples_ms[i]);
  }
  return out;
}

double median_of(const std::vector<double>& v) { return summarize(v).median_ms; }  // unit-agnostic

// A run's median on the gated scale: of its samples, or the row's median where there are none (CSV).
double run_median(const Row& r, double reference_mhz) {
  const std::vector<double> s = gated_samples(r, reference_mhz);
  return s.empty() ? r.time.median_ms : median_of(s);
}

double geometric_mean(const std::vector<double>& v) {
  double log_sum = 0;
  for (double x : v) log_sum += std::log(x);
  return std::exp(log_sum / static_cast<double>(v.size()));
}

// The clock both sides are normalized to (the baseline's median sample clock over all its runs), or
// 0 with the reason in `note` when some side has no per-sample clocks.
double reference_clock(std::span<const Row* const> base, const Row& current, const CompareOptions& o,
                       std::string& note) {
  if (o.raw_time) return 0;
  const bool all_clocked = has_sample_clocks(current) &&
                           std::all_of(base.begin(), base.end(), [](const Row* r) { return has_sample_clocks(*r); });
  if (!all_clocked) {
    note = "not clock-normalized: no per-sample SM clocks";
    return 0;
  }
  std::vector<double> clocks;
  for (const Row* r : base) clocks.insert(clocks.end(), r->samples_clock_mhz.begin(), r->samples_clock_mhz.end());
  const double ref = median_of(clocks);
  note = fmt::format("clock-normalized to {:.0f} MHz", ref);
  return ref;
}

bool has_ci(const TimeStats& s) { return s.ci_low_ms > 0 && s.ci_high_ms >= s.ci_low_ms; }

struct SampleTest {
  Significance method = Significance::threshold_only;
  std::optional<double> p_value;
  bool significant = false;
  std::string note;
};

// Is the difference outside the samples' noise? Mann-Whitney when the samples can reach alpha,
// else the 95% CIs of the medians (`b_stats`, `c_stats`), else the threshold alone.
SampleTest test_samples(const std::vector<double>& sb, const std::vector<double>& sc, const TimeStats& b_stats,
                        const TimeStats& c_stats, double alpha) {
  SampleTest t;
  if (!sb.empty() && !sc.empty()) {
    const MannWhitney mw = mann_whitney_u(sb, sc);
    if (mw.min_attainable_p <= alpha) {
      t.method = mw.exact ? Significance::mann_whitney_exact : Significance::mann_whitney_normal;
      t.p_value = mw.p_value;
      t.significant = mw.p_value <= alpha;
      return t;
    }
    // Too few samples for the test to ever reject: "p > alpha" would say nothing about the change.
    t.note = fmt::format("{} + {} samples cannot reach p <= {} (smallest possible p {}): confidence intervals used",
                         sb.size(), sc.size(), alpha, compare_p_text(mw.min_attainable_p));
  } else {
    t.note = "no samples (CSV input or not recorded): confidence intervals used";
  }
  if (has_ci(b_stats) || has_ci(c_stats)) {
    // A side without an interval counts as its median alone.
    const double b_lo = has_ci(b_stats) ? b_stats.ci_low_ms : b_stats.median_ms;
    const double b_hi = has_ci(b_stats) ? b_stats.ci_high_ms : b_stats.median_ms;
    const double c_lo = has_ci(c_stats) ? c_stats.ci_low_ms : c_stats.median_ms;
    const double c_hi = has_ci(c_stats) ? c_stats.ci_high_ms : c_stats.median_ms;
    t.method = Significance::confidence_intervals;
    t.significant = c_lo > b_hi || c_hi < b_lo;
  } else {
    t.method = Significance::threshold_only;
    t.significant = true;
    t.note += "; no confidence intervals either: threshold only";
  }
  return t;
}

void append(std::string& to, const std::string& what) {
  if (what.empty()) return;
  to += (to.empty() ? "" : "; ") + what;
}

}  // namespace

std::optional<TimeDelta> compare_time(std::span<const Row* const> baseline_runs, const Row& current,
                                      const CompareOptions& options, RetestBasis& basis) {
  std::vector<const Row*> base;
  for (const Row* r : baseline_runs) {
    if (r && usable(*r)) base.push_back(r);
  }
  if (base.empty() || !usable(current)) return std::nullopt;
  TimeDelta t;
  std::string clock_note;
  const double ref = reference_clock(base, current, options, clock_note);
  t.reference_clock_mhz = ref;

  std::vector<double> run_medians, raw_medians, pooled;
  for (const Row* r : base) {
    run_medians.push_back(run_median(*r, ref));
    raw_medians.push_back(r->time.median_ms);
    const std::vector<double> s = gated_samples(*r, ref);
    pooled.insert(pooled.end(), s.begin(), s.end());
  }
  t.allowance = noise_allowance(run_medians, options.noise);
  t.baseline_ms = t.allowance.reference_ms;
  t.current_ms = run_median(current, ref);
  t.change = t.current_ms / t.baseline_ms - 1;
  t.raw_baseline_ms = geometric_mean(raw_medians);
  t.raw_current_ms = current.time.median_ms;
  t.raw_change = t.raw_current_ms / t.raw_baseline_ms - 1;
  const double user_line = options.time_threshold_pct / 100;
  t.regression_line = std::max(user_line, t.allowance.fraction);
  t.improvement_line = std::max(user_line, t.allowance.speedup_fraction);

  const std::vector<double> sc = gated_samples(current, ref);
  // Without samples the rows' own intervals are all there is (the baseline's last run's).
  const TimeStats b_stats = pooled.empty() ? base.back()->time : summarize(pooled);
  const TimeStats c_stats = sc.empty() ? current.time : summarize(sc);
  const SampleTest test = test_samples(pooled, sc, b_stats, c_stats, options.alpha);
  t.method = test.method;
  t.p_value = test.p_value;
  t.significant = test.significant;
  t.baseline_samples = pooled.empty() ? static_cast<std::size_t>(std::max<std::int64_t>(0, b_stats.samples)) : pooled.size();
  t.current_samples = sc.empty() ? static_cast<std::size_t>(std::max<std::int64_t>(0, current.time.samples)) : sc.size();
  t.note = test.note;
  append(t.note, clock_note);

  basis.baseline_samples = std::move(pooled);
  basis.reference_clock_mhz = ref;
  return t;
}

bool crosses_line(double change, double raw_change, double line, bool normalized) {
  const auto beyond = [line](double c) { return line >= 0 ? c > line : c < line; };
  return beyond(change) && (!normalized || beyond(raw_change));
}

std::string time_evidence(const TimeDelta& t) {
  std::string s;
  switch (t.method) {
    case Significance::mann_whitney_exact:
    case Significance::mann_whitney_normal:
      s = fmt::format("p = {} (Mann-Whitney {}, n {}/{})", compare_p_text(t.p_value.value_or(1)),
                      t.method == Significance::mann_whitney_exact ? "exact" : "normal", t.baseline_samples,
                      t.current_samples);
      break;
    case Significance::confidence_intervals: s = "95% CIs of the medians apart"; break;
    case Significance::threshold_only: s = "threshold only (no samples, no CIs)"; break;
  }
  const bool slower = t.change > 0;
  const double line = slower ? t.regression_line : t.improvement_line;
  const double noise = slower ? t.allowance.fraction : t.allowance.speedup_fraction;
  if (noise >= line) {
    s += fmt::format("; line {:.1f}% = between-run noise ({})", 100 * line, t.allowance.basis());
  } else {
    s += fmt::format("; line {:.1f}% = --threshold (between-run noise {:.1f}%: {})", 100 * line, 100 * noise,
                     t.allowance.basis());
  }
  s += "; raw " + compare_change_text(t.raw_change);
  if (t.reference_clock_mhz > 0) s += fmt::format("; clock-normalized to {:.0f} MHz", t.reference_clock_mhz);
  return s;
}

TimeRetest retest_time(const TimeDelta& first, const RetestBasis& basis, std::span<const Row> remeasured,
                       const CompareOptions& options) {
  TimeRetest r;
  std::vector<double> pooled, raw_changes;
  for (const Row& row : remeasured) {
    if (!usable(row)) continue;
    const double raw_change = row.time.median_ms / first.raw_baseline_ms - 1;
    raw_changes.push_back(raw_change);
    // A re-measurement goes on the scale the first one was judged on. One without clocks cannot: it is
    // judged raw against the raw baseline, and its samples stay out of the test against the normalized
    // baseline samples (two scales in one test would invent or hide a shift).
    if (basis.reference_clock_mhz > 0 && !has_sample_clocks(row)) {
      append(r.note, "a re-measurement without per-sample clocks was compared raw");
      r.changes.push_back(raw_change);
      continue;
    }
    const std::vector<double> s = gated_samples(row, basis.reference_clock_mhz);
    r.changes.push_back((s.empty() ? row.time.median_ms : median_of(s)) / first.baseline_ms - 1);
    pooled.insert(pooled.end(), s.begin(), s.end());
  }
  if (r.changes.empty()) {
    r.note = "no re-measurement produced a time";
    return r;
  }
  r.median_change = median_of(r.changes);
  bool significant = true;
  if (!pooled.empty() && !basis.baseline_samples.empty()) {
    const MannWhitney mw = mann_whitney_u(basis.baseline_samples, pooled);
    if (mw.min_attainable_p <= options.alpha) {
      r.p_value = mw.p_value;
      significant = mw.p_value <= options.alpha;
    } else {
      append(r.note, "too few samples for Mann-Whitney: the median change alone decided");
    }
  }
  // As in the first look: on the normalized scale, the raw change must cross the line as well.
  const bool normalized = basis.reference_clock_mhz > 0;
  const double raw_median = median_of(raw_changes);
  const bool crosses = crosses_line(*r.median_change, raw_median, first.regression_line, normalized);
  r.raw_within = *r.median_change > first.regression_line && !crosses;
  if (r.raw_within) append(r.note, fmt::format("raw change {} within the line", compare_change_text(raw_median)));
  r.significant = significant;
  r.reproduced = significant && crosses;
  return r;
}

}  // namespace fa
