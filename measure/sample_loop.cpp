#include "measure/sample_loop.hpp"

#include <chrono>
#include <cmath>
#include <thread>

namespace fa {

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

void sleep_s(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

}  // namespace

void warm_up(Sampler& sampler, const std::function<void()>& launch, double max_s,
             const std::function<void()>& after_first) {
  const auto w0 = std::chrono::steady_clock::now();
  double prev = sampler.sample_ms(launch);
  after_first();
  while (seconds_since(w0) < max_s) {
    const double t = sampler.sample_ms(launch);
    if (std::fabs(t - prev) <= 0.05 * prev) break;
    prev = t;
  }
}

void settle_clock(Sampler& sampler, const std::function<void()>& launch, double min_s) {
  if (min_s <= 0) return;
  const auto s0 = std::chrono::steady_clock::now();
  while (seconds_since(s0) < min_s) (void)sampler.sample_ms(launch);
}

SampleSeries sample_until_stopped(Sampler& sampler, const std::function<void()>& launch, const StoppingRule& rule,
                                  const ThrottlePolicy& throttle, double gap) {
  SampleSeries series;
  ThrottleScreen screen(throttle);
  const auto t0 = std::chrono::steady_clock::now();
  for (;;) {
    const double ms = sampler.sample_ms(launch);
    const ThrottleScreen::Decision d = screen.judge(sampler.last_clock_mhz());
    if (d.keep) {
      series.ms.push_back(ms);
      series.clock_mhz.push_back(sampler.last_clock_mhz());
    } else {
      sleep_s(d.wait_s);
    }
    if (gap > 0) sleep_s(gap * ms * 1e-3);
    if (should_stop(rule, series.ms, seconds_since(t0)) != StopReason::none) break;
  }
  series.dropped = screen.dropped();
  series.throttle_note = screen.note();
  return series;
}

}  // namespace fa
