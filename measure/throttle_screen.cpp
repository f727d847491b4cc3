#include "measure/throttle_screen.hpp"

#include <fmt/core.h>

namespace fa {

ThrottleScreen::ThrottleScreen(const ThrottlePolicy& policy) : policy_(policy) {}

ThrottleScreen::Decision ThrottleScreen::judge(double sample_mhz) {
  if (sample_mhz <= 0 || policy_.threshold <= 0) return {};
  if (sample_mhz > reference_) reference_ = sample_mhz;
  if (sample_mhz >= policy_.threshold * reference_) {
    consecutive_ = 0;
    return {};
  }
  if (gave_up_ || consecutive_ >= policy_.max_waits) {
    gave_up_ = true;
    ++kept_below_;
    return {};
  }
  ++dropped_;
  const double wait = policy_.recovery_s * static_cast<double>(1 << consecutive_);
  ++consecutive_;
  return {false, wait};
}

std::string ThrottleScreen::note() const {
  if (dropped_ == 0 && kept_below_ == 0) return "";
  std::string s = fmt::format("clock screen: {} sample{} dropped below {:.0f}% of {:.0f} MHz", dropped_,
                              dropped_ == 1 ? "" : "s", 100 * policy_.threshold, reference_);
  if (gave_up_) {
    s += fmt::format("; clock did not recover after {} waits, {} slower sample{} kept (throttled)", policy_.max_waits,
                     kept_below_, kept_below_ == 1 ? "" : "s");
  }
  return s;
}

}  // namespace fa
