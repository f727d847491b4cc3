#pragma once
// What to do with a timed sample that ran at a lowered SM clock. Like nvbench, fa-bench drops a
// sample whose clock fell well below the point's own best and waits for the clock to recover, so a
// throttling episode (thermal, power brake) does not end up in the median; unlike clock locking, this
// changes no GPU setting. A point whose clock does not recover stops being screened after a few
// waits: its remaining samples are kept and the row says so.
//
// The reference is the point's own highest sample clock, not one for the whole sweep: a GPU at its
// power limit runs heavy tensor-core kernels a few percent below the clock it gives light ones (an
// H200 ran a fused attention kernel at 1720-1820 MHz and lighter points at 1910), so a sweep-wide reference would drop
// most samples of every heavy point (measured: 180 samples a sweep, twice the sweep time, no gain in
// repeatability). The few-percent drift that remains is the GPU's power management; compare it away
// with `fa-bench compare --clock-normalize`, which uses each sample's clock.
#include <string>

namespace fa {

struct ThrottlePolicy {
  double threshold = 0.95;    // keep a sample whose clock >= threshold x reference; 0 keeps every sample
  double recovery_s = 0.025;  // wait after a dropped sample; doubles with each consecutive drop
  int max_waits = 3;          // consecutive drops before the point stops screening
};

class ThrottleScreen {
 public:
  explicit ThrottleScreen(const ThrottlePolicy& policy);

  struct Decision {
    bool keep = true;
    double wait_s = 0;  // sleep this long before the next sample (only for dropped samples)
  };
  // sample_mhz: the sample's SM clock (0: unknown, always kept).
  Decision judge(double sample_mhz);

  int dropped() const { return dropped_; }
  int kept_below() const { return kept_below_; }  // kept after screening stopped
  bool gave_up() const { return gave_up_; }
  double reference_mhz() const { return reference_; }
  // "" when nothing was dropped; otherwise a note for the row.
  std::string note() const;

 private:
  ThrottlePolicy policy_;
  double reference_ = 0;  // highest sample clock of the point so far
  int consecutive_ = 0;
  int dropped_ = 0;
  int kept_below_ = 0;
  bool gave_up_ = false;
};

}  // namespace fa
