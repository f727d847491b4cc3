#pragma once
// How far a point's median may move between two runs of unchanged code: the gate's allowance for
// between-run noise. Samples inside one run cannot show it: two processes timing the same kernel
// differ in clock state, memory placement and whatever else the GPU carries over, and their medians
// differ by more than their samples' spread suggests (an H200 moved a 0.05 ms point by 6.7 us, -14%,
// between two processes at p = 7e-88, when samples still included the host's enqueueing). So the gate asks a second question besides "is the difference
// outside the samples' noise": "is the current run's median outside what other runs of the same
// code give?"
//
// The answer is a one-sided prediction bound for the median of one more run, on the log scale:
//
//   allowance = q(level, df) * s * sqrt(1 + 1/K)          slower than allowed: log(current / ref) > allowance
//
// K     baseline runs holding the point; ref = their geometric mean median.
// s     the between-run standard deviation of log medians, shrunk towards a prior (a "moderated"
//       estimate, as limma does for few replicates): s^2 = (v0 * s0^2 + (K - 1) * sK^2) / (v0 + K - 1),
//       sK the sample standard deviation of the K run medians, s0 the prior from the duration floor.
// df    v0 + K - 1; q the Student t quantile at `level`.
//
// The prior s0 is chosen so that a single-run baseline (K = 1) gets exactly the documented floor
// run_noise_floor(duration): tiny points move more between runs than long ones because a fraction
// of a microsecond of launch gaps and clock-state jitter is a large share of them. With more runs the
// baseline's own spread takes over: a point whose runs agree gets a tighter allowance, one whose
// runs disagree a wider one. The constants below are the documented defaults (docs/ci.md).
#include <cstddef>
#include <span>
#include <string>

namespace fa {

struct RunNoiseModel {
  // Floor for a single-run baseline: sqrt(relative^2 + (absolute_ms / duration_ms)^2). Measured on
  // H200s: ms-scale points' medians moved by up to 2.3% between runs (median 0.3%); with samples
  // taken on a held stream (measure/stream_hold.hpp), the run medians of 7-100 us points have a
  // standard deviation of 0.12 us typically (median over points), 0.81 us at most (ring backward,
  // 42-50 us). The one-run bound is about ten of the prior's deviations wide (q(0.999, 4) * sqrt(2)),
  // so the 2 us term stands for a typical point's 0.2 us; a point that moves more, like those ring
  // points, sits only about two of its own deviations inside a one-run floor, and needs the several
  // baseline runs (and the re-measurement) of the recommended recipe, which widen its line from its
  // own spread. docs/ci.md has the data.
  double relative = 0.025;
  double absolute_ms = 0.002;
  double prior_runs = 4;   // v0: weight of the floor, in degrees of freedom
  double level = 0.999;    // one-sided prediction level of the bound
};

// The single-run floor as a fraction (0.025 = 2.5%) for a point whose median is `median_ms`.
double run_noise_floor(double median_ms, const RunNoiseModel& model = {});

struct NoiseAllowance {
  std::size_t runs = 0;       // K
  double reference_ms = 0;    // geometric mean of the run medians
  double runs_spread = 0;     // sK: sample standard deviation of log run medians (0 for K = 1)
  double pooled_sd = 0;       // s, log scale
  double df = 0;
  double fraction = 0;        // exp(allowance) - 1: the slowdown that between-run noise can explain
  double speedup_fraction = 0;  // 1 - exp(-allowance): the same for a speedup
  std::string basis() const;  // "noise floor of a 0.1 ms point, 1 baseline run" / "5 baseline runs, spread 0.40%"
  std::string text() const;   // "6.3% (noise floor of a 0.1 ms point, 1 baseline run)"
};

// `run_medians_ms`: the median of each baseline run holding the point (all > 0, at least one).
// Throws std::invalid_argument otherwise.
NoiseAllowance noise_allowance(std::span<const double> run_medians_ms, const RunNoiseModel& model = {});

}  // namespace fa
