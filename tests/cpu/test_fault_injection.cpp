// The test-only fault injection (measure/fault_injection.hpp): its setting is parsed strictly and
// needs its acknowledgement, patterns match whole point keys, and a run with it on says so in every
// place a reader could take its numbers from (CPU reference kernel: a host busy-wait).
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_runner.hpp"
#include "core/errors.hpp"
#include "measure/fault_injection.hpp"
#include "tests/scoped_env.hpp"
#include "test_compare_fixture.hpp"

using namespace fa;
namespace fi = fa::fault_injection;
using fa::testing::ScopedEnv;

TEST_CASE("fault injection: off unless set and acknowledged, malformed settings name the variable", "[fault]") {
  CHECK_FALSE(fi::parse(nullptr, nullptr));
  CHECK_FALSE(fi::parse("", "falsify-timings"));
  CHECK_THROWS_WITH(fi::parse("5%:*", nullptr), Catch::Contains("FA_BENCH_TEST_SLOWDOWN_ACK"));
  CHECK_THROWS_WITH(fi::parse("5%:*", "yes"), Catch::Contains("falsify-timings"));
  for (const char* bad : {"5%", "x%:*", "0%:*", "2000%:*", "5%:", ":*", "5%:,", "-3:*"}) {
    INFO(bad);
    CHECK_THROWS_WITH(fi::parse(bad, "falsify-timings"), Catch::Contains("FA_BENCH_TEST_SLOWDOWN"));
  }
  const auto spec = fi::parse("5%:flash|bwd|*,cudnn|*;10:standard|*", "falsify-timings");
  REQUIRE(spec);
  REQUIRE(spec->groups.size() == 2);
  CHECK(spec->groups[0].fraction == Approx(0.05));
  CHECK(spec->groups[0].globs.size() == 2);
  CHECK(spec->groups[1].fraction == Approx(0.10));  // '%' optional
  CHECK(spec->text == "5%:flash|bwd|*,cudnn|*;10:standard|*");
}

TEST_CASE("fault injection: globs match whole point keys, the first group decides", "[fault]") {
  const std::string key = "flash|bwd|B2|H8|Nq512|Nk512|D64|fp16|p0|full|s0.125|bhnd|dense";
  CHECK(fi::glob_match("*", key));
  CHECK(fi::glob_match(key, key));
  CHECK(fi::glob_match("flash|bwd|*", key));
  CHECK(fi::glob_match("*|Nq512|*", key));
  CHECK(fi::glob_match("flash|?wd|*|dense", key));
  CHECK_FALSE(fi::glob_match("flash|fwd|*", key));
  CHECK_FALSE(fi::glob_match("flash", key));  // whole key, not a prefix
  CHECK_FALSE(fi::glob_match("*Nq5120*", key));
  CHECK(fi::glob_match("a*b*c", "axxbyyc"));
  CHECK_FALSE(fi::glob_match("a*b*c", "axxbyy"));
  CHECK(fi::glob_match("", ""));
  const auto spec = fi::parse("2%:*|Nq512|*;50%:*", "falsify-timings");
  CHECK(fi::fraction_for(*spec, key).value() == Approx(0.02));
  CHECK(fi::fraction_for(*spec, "standard|fwd|B1").value() == Approx(0.5));
  CHECK_FALSE(fi::fraction_for(*fi::parse("5%:cudnn|*", "falsify-timings"), key));
}

TEST_CASE("fault injection in a run: refused half-set, marked in rows and metadata, never a baseline", "[fault]") {
  fa::test::cmp::Scratch dir;
  const std::string out = (dir.path / "slow").string(), store = (dir.path / "store").string();
  const std::vector<std::string> sweep{"run", "--kernel", "reference", "--heads", "1", "--seqlen", "16,32",
                                       "--head-dim", "8", "--max-time", "0.01"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = sweep;
    args.insert(args.end(), extra.begin(), extra.end());
    return fa::testing::run_fa_bench(args);
  };
  {
    ScopedEnv spec(fi::kSpecVar, "100%:*Nq32*");
    auto r = with({"--out", out});  // no acknowledgement: exit 2 before anything runs
    CHECK(r.code == 2);
    CHECK(r.err.find(fi::kAckVar) != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(out));

    ScopedEnv ack(fi::kAckVar, "falsify-timings");
    r = with({"--out", out, "--save-baseline", "main", "--baseline-dir", store});
    CHECK(r.code == 2);
    CHECK(r.err.find("--save-baseline") != std::string::npos);

    r = with({"--out", out});
    INFO(r.out << r.err);
    REQUIRE(r.code == 0);
    CHECK(r.err.find("WARNING: test-only fault injection") != std::string::npos);
  }
  const auto j = nlohmann::json::parse(fa::test::cmp::slurp_file(std::filesystem::path(out) / "results.json"));
  CHECK(j.at("metadata").at("fault_injection") == "100%:*Nq32*");
  for (const auto& row : j.at("rows")) {
    const std::string reason = row.at("reason");
    if (row.at("point").at("problem").at("seqlen_q") == 32) {
      CHECK(reason.find("TEST-ONLY fault injection") != std::string::npos);
      CHECK(reason.find("+100.0% asked") != std::string::npos);
    } else {
      CHECK(reason.find("TEST-ONLY fault injection on in this run") != std::string::npos);
      CHECK(reason.find("asked") == std::string::npos);
    }
  }
  // compare names the side that was slowed on purpose.
  const std::string results = (std::filesystem::path(out) / "results.json").string();
  const auto r = fa::testing::run_fa_bench({"compare", results, results});
  CHECK(r.out.find("TEST-ONLY fault injection") != std::string::npos);
}
