#pragma once
// Correctness check of one kernel on one point against the float64 CPU reference.
// Inputs are random normal (never zeros), scaled by VerifyOptions::input_scale (large values give
// large logits); outputs are poisoned with NaN before the run so unwritten elements show up.
// Errors are ||out - ref||_2 / ||ref||_2 per output (o, lse for forward; dq, dk, dv for backward).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "core/kernel.hpp"
#include "core/problem.hpp"

namespace fa {

struct VerifyOptions {
  double input_scale = 1.0;  // std-dev of Q, K (V and dO stay N(0,1))
  std::uint64_t data_seed = 1234;
  int device = 0;
  // Largest reference work (Nq * Nk * D summed over the heads checked) done on the CPU. Above it
  // only head (0, 0) is checked; if even one head is above it, the check is skipped (and says so).
  double max_reference_work = 4.0e9;
  // Query rows of head (0, 0) checked when even one head is above max_reference_work (dense, no
  // dropout): O, lse and dQ of those rows are exact; dK/dV are not checked then.
  std::int64_t sub_rows = 256;
};

struct VerifyResult {
  bool ok = false;
  double max_rel_error = 0;  // max over outputs
  double tolerance = 0;
  std::map<std::string, double> errors;  // per output name
  std::int64_t unwritten = 0;            // elements still NaN-poisoned (or non-finite) after the run
  std::string note;                      // "pass" or what failed
  bool skipped = false;                  // nothing was compared (too large, or own dropout RNG)
};

// Documented tolerances (see docs/tolerances.md): by dtype, looser for backward.
double tolerance_for(DType d, Pass pass);

// One output against the reference: ||out - ref|| / ||ref|| over the elements where the reference is
// finite; where the reference is exactly zero there (dQ and dK with one key: P = 1, dS = 0), the root
// mean square of `out` instead, so that rounding noise is judged per element, not summed over all of
// them. `bad` counts elements of `out` that are non-finite where the reference is finite, and
// mismatched infinities.
struct OutputError {
  double rel = 0;
  std::int64_t bad = 0;
};
OutputError output_error(const std::vector<double>& out, const std::vector<double>& ref);

// Runs the kernel once on fresh random inputs and compares. Throws on CUDA errors.
VerifyResult verify_point(AttentionKernel& kernel, const Point& pt, const VerifyOptions& opt = {});

}  // namespace fa
