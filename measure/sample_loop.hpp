#pragma once
// The loops that run a point's sampler over and over: warm-up, clock settling and the sampling itself
// (until the stopping rule is met, samples at a lowered SM clock screened out).
#include <functional>
#include <string>
#include <vector>

#include "measure/sampler.hpp"
#include "measure/stats.hpp"
#include "measure/throttle_screen.hpp"

namespace fa {

// At least one sample (module load, library handles and lazy allocations stay out of the numbers),
// after which `after_first` runs, then more until two consecutive samples agree within 5% or `max_s`
// seconds have passed since the first began.
void warm_up(Sampler& sampler, const std::function<void()>& launch, double max_s,
             const std::function<void()>& after_first);

// Samples back to back for at least `min_s` seconds (none for 0), so the SM clock has settled where the
// GPU's power management holds it for this kernel.
void settle_clock(Sampler& sampler, const std::function<void()>& launch, double min_s);

struct SampleSeries {
  std::vector<double> ms;         // the samples kept
  std::vector<double> clock_mhz;  // each kept sample's SM clock (0: unknown)
  int dropped = 0;                // samples dropped for a lowered clock
  std::string throttle_note;      // the screen's note for the row ("" when nothing was dropped)
};

// Samples until `rule` says stop. A sample whose clock the screen rejects is dropped and the clock given
// time to recover; after each sample the GPU idles for `gap` times the sample's duration (0: none).
SampleSeries sample_until_stopped(Sampler& sampler, const std::function<void()>& launch, const StoppingRule& rule,
                                  const ThrottlePolicy& throttle, double gap);

}  // namespace fa
