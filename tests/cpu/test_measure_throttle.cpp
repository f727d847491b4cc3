// The clock screen (measure/throttle_screen.hpp) and input rotation (measure/input_rotation.hpp):
// pure decisions, tested without a GPU.
#include <catch2/catch.hpp>

#include <string>

#include "measure/input_rotation.hpp"
#include "measure/throttle_screen.hpp"

using fa::ThrottlePolicy;
using fa::ThrottleScreen;

TEST_CASE("clock screen keeps samples near the point's highest clock and drops slower ones", "[measure][throttle]") {
  ThrottleScreen screen(ThrottlePolicy{0.95, 0.025, 3});
  CHECK(screen.judge(1800).keep);
  CHECK(screen.reference_mhz() == 1800);
  CHECK(screen.judge(1720).keep);  // 95.6%
  CHECK(screen.judge(1900).keep);  // a faster sample raises the reference
  CHECK(screen.reference_mhz() == 1900);
  const auto d = screen.judge(1780);  // 93.7%
  CHECK_FALSE(d.keep);
  CHECK(d.wait_s == Approx(0.025));
  CHECK(screen.dropped() == 1);
  CHECK(screen.judge(0).keep);  // unknown clock: kept, unscreened
  CHECK(screen.note().find("1 sample dropped below 95% of 1900 MHz") != std::string::npos);
  CHECK_FALSE(screen.gave_up());
}

TEST_CASE("clock screen waits longer each time, then stops screening the point", "[measure][throttle]") {
  ThrottleScreen screen(ThrottlePolicy{0.95, 0.01, 3});
  REQUIRE(screen.judge(2000).keep);
  const double waits[] = {0.01, 0.02, 0.04};
  for (double w : waits) {
    const auto d = screen.judge(1800);
    REQUIRE_FALSE(d.keep);
    CHECK(d.wait_s == Approx(w));
  }
  // The clock did not come back: from now on slow samples are kept and counted.
  CHECK(screen.judge(1800).keep);
  CHECK(screen.judge(1790).keep);
  CHECK(screen.gave_up());
  CHECK(screen.dropped() == 3);
  CHECK(screen.kept_below() == 2);
  CHECK(screen.note().find("did not recover after 3 waits, 2 slower samples kept (throttled)") != std::string::npos);
}

TEST_CASE("clock screen: a kept sample resets the wait, threshold 0 keeps everything", "[measure][throttle]") {
  ThrottleScreen screen(ThrottlePolicy{0.95, 0.01, 2});
  REQUIRE(screen.judge(2000).keep);
  CHECK(screen.judge(1800).wait_s == Approx(0.01));
  CHECK(screen.judge(1995).keep);
  CHECK(screen.judge(1800).wait_s == Approx(0.01));  // back to the first wait
  CHECK(screen.note().find("2 samples dropped") != std::string::npos);

  ThrottleScreen off(ThrottlePolicy{0.0, 0.01, 2});
  CHECK(off.judge(2000).keep);
  for (int i = 0; i < 5; ++i) CHECK(off.judge(500).keep);
  CHECK(off.dropped() == 0);
  CHECK(off.note().empty());
}

TEST_CASE("clock screen reference belongs to one point", "[measure][throttle]") {
  {
    ThrottleScreen light(ThrottlePolicy{});
    CHECK(light.judge(1980).keep);
  }
  // A heavy point that runs at 1750 MHz throughout is not held to the light point's clock.
  ThrottleScreen heavy(ThrottlePolicy{});
  for (int i = 0; i < 10; ++i) CHECK(heavy.judge(1750 + i % 3).keep);
  CHECK(heavy.dropped() == 0);
}

TEST_CASE("input rotation only in cold mode and only for operands that fit in L2", "[measure][rotation]") {
  constexpr std::uint64_t l2 = 50u << 20;
  CHECK(fa::input_rotation_copies(l2 / 2, l2, fa::TimingMode::hot) == 1);
  CHECK(fa::input_rotation_copies(l2 + 1, l2, fa::TimingMode::cold) == 1);
  CHECK(fa::input_rotation_copies(0, l2, fa::TimingMode::cold) == 1);
  CHECK(fa::input_rotation_copies(l2, l2, fa::TimingMode::cold) == 4);      // 1 + 3
  CHECK(fa::input_rotation_copies(l2 / 2, l2, fa::TimingMode::cold) == 7);  // 1 + 6
  CHECK(fa::input_rotation_copies(1u << 20, l2, fa::TimingMode::cold) == fa::kMaxInputCopies);
  CHECK(fa::input_rotation_copies(l2, 0, fa::TimingMode::cold) == 1);  // L2 size unknown
}
