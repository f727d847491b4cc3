#pragma once
// TEST-ONLY fault injection: a deliberate, known slowdown of chosen points, so that the regression
// gate's detection rate can be measured (scripts/gate-study.sh). Never for real measurements.
//
// Two environment variables turn it on, both required, so that it cannot be switched on by accident:
//
//   FA_BENCH_TEST_SLOWDOWN="PCT:GLOB[,GLOB...][;PCT:GLOB...]"    e.g. "5%:*|bwd|*;10%:*|fwd|*|fp16|*"
//   FA_BENCH_TEST_SLOWDOWN_ACK=falsify-timings
//
// GLOB matches a whole point_key() ("<kernel>|fwd|B2|H8|Nq512|Nk512|D64|fp16|p0|full|s0.125|bhnd|dense";
// '*' any run of characters, '?' one); the first group whose pattern matches decides the point's
// slowdown. A matching point's timed invocation then also runs, before it and inside the timed
// interval, a spin (a one-thread kernel counting SM cycles; a busy wait for host kernels) lasting
// PCT of the point's time. The spin is calibrated on the point after warm-up, the cost of the extra
// launch included, and the slowdown then measured is written into the row's reason: the row says what
// was injected. The other rows of such a run say that the injection was on and left them alone. It stays in force for every measurement of the point in the process, the gate's
// re-measurements included, because it stands for slower code.
//
// `fa-bench run` refuses a malformed or unacknowledged setting (exit 2), prints a warning, records the
// setting in the run metadata (key "fault_injection") and refuses to save such a run as a baseline.
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/problem.hpp"

namespace fa {

class Sampler;

namespace fault_injection {

inline constexpr const char* kSpecVar = "FA_BENCH_TEST_SLOWDOWN";
inline constexpr const char* kAckVar = "FA_BENCH_TEST_SLOWDOWN_ACK";
inline constexpr std::string_view kAckValue = "falsify-timings";

struct Group {
  double fraction = 0;  // 0.05 = 5% of the point's time
  std::vector<std::string> globs;
};

struct Spec {
  std::vector<Group> groups;
  std::string text;  // as set, for the metadata
};

// The setting from the two variables' values (null: unset). nullopt when `spec` is null or empty;
// UsageError naming the variable when the spec is malformed (percent in (0, 1000], at least one
// pattern per group) or `ack` is not kAckValue.
std::optional<Spec> parse(const char* spec, const char* ack);

// parse() of this process's environment.
std::optional<Spec> from_environment();

// '*' any run of characters (also none), '?' exactly one; everything else literal; whole string.
bool glob_match(std::string_view pattern, std::string_view text);

// The slowdown for a point key: the first group with a matching pattern, else nullopt.
std::optional<double> fraction_for(const Spec& spec, std::string_view key);

// The point runner's hook, called once the point is warmed up. When the environment's (valid) setting
// matches `pt`, calibrates the spin with `sampler`, replaces `timed` by "spin, then timed" and returns
// the note for the row ("TEST-ONLY fault injection (...): +5.0% asked, +5.1% measured ..."). With the
// setting on but not matching, `timed` stays and the note says the run had it on; with it off, "".
// `stream` is the point's cudaStream_t (null for host kernels).
std::string inject_slowdown(const Point& pt, Sampler& sampler, void* stream, bool cuda, std::function<void()>& timed);

// Enqueues a one-thread kernel spinning `cycles` SM cycles on `stream` (CUDA builds only).
void spin_gpu_cycles(long long cycles, void* stream);

}  // namespace fault_injection
}  // namespace fa
