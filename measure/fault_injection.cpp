#include "measure/fault_injection.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>

#include <fmt/core.h>

#include "core/errors.hpp"
#include "core/time_stats.hpp"
#include "measure/sampler.hpp"

#if FA_HAS_CUDA
#include "measure/sm_clock.hpp"
#endif

namespace fa::fault_injection {
namespace {

constexpr const char* kSyntax = "PCT:GLOB[,GLOB...][;PCT:GLOB...] with PCT in (0, 1000], e.g. 5%:*|bwd|*";

std::vector<std::string> split(std::string_view s, char sep) {
  std::vector<std::string> out;
  for (std::size_t pos = 0;;) {
    const std::size_t end = std::min(s.find(sep, pos), s.size());
    out.emplace_back(s.substr(pos, end - pos));
    if (end == s.size()) return out;
    pos = end + 1;
  }
}

Group parse_group(const std::string& text) {
  const std::size_t colon = text.find(':');
  if (colon == std::string::npos) throw bad_value(kSpecVar, text, kSyntax);
  std::string pct = text.substr(0, colon);
  if (!pct.empty() && pct.back() == '%') pct.pop_back();
  char* end = nullptr;
  const double value = pct.empty() ? 0 : std::strtod(pct.c_str(), &end);
  if (pct.empty() || *end != '\0' || !(value > 0 && value <= 1000)) throw bad_value(kSpecVar, text, kSyntax);
  Group g;
  g.fraction = value / 100;
  for (std::string& glob : split(std::string_view(text).substr(colon + 1), ',')) {
    if (!glob.empty()) g.globs.push_back(std::move(glob));
  }
  if (g.globs.empty()) throw bad_value(kSpecVar, text, kSyntax);
  return g;
}

// Per median of the calibration: the plain point, the empty spin, the slowed point.
constexpr int kCalibrationSamples = 15;

double median_sample_ms(Sampler& sampler, const std::function<void()>& launch) {
  std::vector<double> v;
  for (int i = 0; i < kCalibrationSamples; ++i) v.push_back(sampler.sample_ms(launch));
  return summarize(v).median_ms;  // unit-agnostic
}

// Busy: sleeping would hand the time to the scheduler, whose wake-up jitter is larger than the spin.
void spin_host(double ms) {
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count() < ms) {
  }
}

#if FA_HAS_CUDA
// "spin, then the point" for a GPU point.
std::function<void()> with_gpu_spin(const std::function<void()>& plain, void* stream, long long cycles) {
  return [plain, stream, cycles] {
    spin_gpu_cycles(cycles, stream);
    plain();
  };
}

// The spin's first length: what is left of `extra_ms` after the extra launch's own cost, at the SM clock the
// point runs at. Sets launch_ms and describes itself in `how`.
long long first_spin_cycles(Sampler& sampler, void* stream, const std::function<void()>& plain, double plain_ms,
                            double extra_ms, double& launch_ms, std::string& how) {
  double mhz = sampler.last_clock_mhz();
  if (!(mhz > 0)) mhz = measure_sm_clock_mhz(stream);
  launch_ms = std::max(0.0, median_sample_ms(sampler, with_gpu_spin(plain, stream, 0)) - plain_ms);
  const auto cycles = static_cast<long long>(std::max(0.0, extra_ms - launch_ms) * mhz * 1e3);  // MHz x ms = 1e3 cycles
  how = fmt::format("a {}-cycle spin kernel at {:.0f} MHz; its launch alone adds {:.2f}%", cycles, mhz,
                    100 * launch_ms / plain_ms);
  return cycles;
}

// Corrections of the spin's length after measuring what it adds, and how close that must come (a fraction of
// the plain point). Needed because cycles at the point's clock are not exactly time added: on an H200 a spin of
// 10 % of a 0.87 ms point added 7.9 % (the spin draws little power, and a GPU at its power limit can then run
// the point beside it at a higher clock than alone).
constexpr int kSpinCorrections = 3;
constexpr double kSpinTolerance = 0.0025;

// Calibrates a GPU spin so that "spin, then the point" takes (1 + fraction) times the plain point, measured:
// returns it and its measured median in slowed_ms.
std::function<void()> calibrated_gpu_spin(Sampler& sampler, void* stream, const std::function<void()>& plain,
                                          double plain_ms, double extra_ms, double& slowed_ms, std::string& how) {
  double launch_ms = 0;
  long long cycles = first_spin_cycles(sampler, stream, plain, plain_ms, extra_ms, launch_ms, how);
  std::function<void()> slowed = with_gpu_spin(plain, stream, cycles);
  slowed_ms = median_sample_ms(sampler, slowed);
  int corrections = 0;
  for (; corrections < kSpinCorrections && std::abs(slowed_ms - plain_ms - extra_ms) > kSpinTolerance * plain_ms;
       ++corrections) {
    const double spin_ms = slowed_ms - plain_ms - launch_ms;  // what the spin's cycles add now
    if (!(spin_ms > 0) || cycles == 0) break;
    cycles = std::llround(static_cast<double>(cycles) * std::clamp((extra_ms - launch_ms) / spin_ms, 0.5, 2.0));
    slowed = with_gpu_spin(plain, stream, cycles);
    slowed_ms = median_sample_ms(sampler, slowed);
  }
  if (corrections > 0) how += fmt::format(" (then {} cycles after {} measured correction(s))", cycles, corrections);
  if (std::abs(slowed_ms - plain_ms - extra_ms) > kSpinTolerance * plain_ms) {
    how += fmt::format(" (still not within {:.2f}% of the point's time)", 100 * kSpinTolerance);
  }
  return slowed;
}
#endif

}  // namespace

std::optional<Spec> parse(const char* spec, const char* ack) {
  if (!spec || !*spec) return std::nullopt;
  if (!ack || kAckValue != ack) {
    throw UsageError(fmt::format("{} is set but {} is not '{}': the test-only fault injection slows measurements down on "
                                 "purpose and needs both (unset {} for real measurements)",
                                 kSpecVar, kAckVar, kAckValue, kSpecVar));
  }
  Spec s;
  s.text = spec;
  for (const std::string& group : split(spec, ';')) {
    if (!group.empty()) s.groups.push_back(parse_group(group));
  }
  if (s.groups.empty()) throw bad_value(kSpecVar, spec, kSyntax);
  return s;
}

std::optional<Spec> from_environment() { return parse(std::getenv(kSpecVar), std::getenv(kAckVar)); }

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative matching with one backtrack point (the last '*'): linear enough for point keys.
  std::size_t p = 0, t = 0, star = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p, ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_t = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::optional<double> fraction_for(const Spec& spec, std::string_view key) {
  for (const Group& g : spec.groups) {
    for (const std::string& glob : g.globs) {
      if (glob_match(glob, key)) return g.fraction;
    }
  }
  return std::nullopt;
}

std::string inject_slowdown(const Point& pt, Sampler& sampler, void* stream, bool cuda, std::function<void()>& timed) {
  std::optional<Spec> spec;
  try {
    spec = from_environment();
  } catch (const UsageError&) {
    return {};  // `fa-bench run` refuses a bad setting before any point runs; elsewhere it stays off
  }
  if (!spec) return {};
  const std::optional<double> fraction = fraction_for(*spec, point_key(pt));
  if (!fraction) return fmt::format("TEST-ONLY fault injection on in this run ({}): this point not slowed", kSpecVar);
  const std::function<void()> plain = timed;
  const double plain_ms = median_sample_ms(sampler, plain);
  const double extra_ms = *fraction * plain_ms;
  std::string how;
  std::function<void()> slowed;
  double slowed_ms = 0;
#if FA_HAS_CUDA
  if (cuda) slowed = calibrated_gpu_spin(sampler, stream, plain, plain_ms, extra_ms, slowed_ms, how);
#else
  if (cuda) {
    (void)stream;
    how = "no CUDA in this build: not injected";
    slowed = plain;
    slowed_ms = median_sample_ms(sampler, slowed);
  }
#endif
  if (!cuda) {
    how = "a host busy-wait";
    slowed = [plain, extra_ms] {
      spin_host(extra_ms);
      plain();
    };
    slowed_ms = median_sample_ms(sampler, slowed);
  }
  timed = slowed;
  return fmt::format("TEST-ONLY fault injection ({}): +{:.1f}% asked, +{:.1f}% measured at calibration ({} before "
                     "each timed invocation)",
                     kSpecVar, 100 * *fraction, 100 * (slowed_ms / plain_ms - 1), how);
}

}  // namespace fa::fault_injection
