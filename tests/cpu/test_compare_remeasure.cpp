// Re-measurement in fresh processes (cli/remeasure.hpp), end to end with the built fa-bench binary
// on the CPU reference kernel: `run --points-from` measures a file's points in its order, and
// `run --baseline` confirms a slowdown in child processes that keep the test-only fault injection.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "measure/fault_injection.hpp"
#include "reports/json.hpp"
#include "tests/scoped_env.hpp"
#include "test_compare_fixture.hpp"

using namespace fa;
using fa::test::cmp::Scratch;
using fa::test::cmp::slurp_file;

namespace {

// build/tests/fa_bench_tests -> build/cli/fa-bench
std::filesystem::path fa_bench_exe() {
  return std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path() / "cli" / "fa-bench";
}

int run_exe(const std::string& args, const std::filesystem::path& log) {
  const std::string command = fa_bench_exe().string() + " " + args + " > " + log.string() + " 2>&1";
  const int status = std::system(command.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

Row planned(std::int64_t seqlen) {
  Row r;
  r.point.kernel = "reference";
  r.point.pass = Pass::fwd;
  r.point.problem.batch = 1;
  r.point.problem.heads = 1;
  r.point.problem.seqlen_q = r.point.problem.seqlen_kv = seqlen;
  r.point.problem.head_dim = 16;
  r.status = Status::planned;
  return r;
}

}  // namespace

TEST_CASE("run --points-from measures a results file's points in its order", "[compare]") {
  REQUIRE(std::filesystem::exists(fa_bench_exe()));
  Scratch dir;
  const auto points = dir.path / "points.json";
  fa::test::cmp::write_text(points, results_json_text(RunMetadata{}, {planned(48), planned(16)}));
  const auto out = dir.path / "out";
  const int code = run_exe("run --points-from " + points.string() + " --out " + out.string() + " --max-time 0.01",
                           dir.path / "log");
  INFO(slurp_file(dir.path / "log"));
  REQUIRE(code == 0);
  const ResultFile r = read_results_json((out / "results.json").string());
  REQUIRE(r.rows.size() == 2);
  CHECK(r.rows[0].point.problem.seqlen_q == 48);
  CHECK(r.rows[1].point.problem.seqlen_q == 16);
  CHECK(r.rows[0].status == Status::ok);
  CHECK(run_exe("run --points-from " + points.string() + " --sweep smoke --out " + (dir.path / "x").string(),
                dir.path / "log2") == 2);
  CHECK(slurp_file(dir.path / "log2").find("--points-from") != std::string::npos);
}

TEST_CASE("run --baseline re-measures in fresh processes, which keep the fault injection", "[compare][fault]") {
  REQUIRE(std::filesystem::exists(fa_bench_exe()));
  Scratch dir;
  const std::string sweep = "run --kernel reference --heads 1 --seqlen 16,64 --head-dim 16 --max-time 0.05 "
                            "--baseline-dir " + (dir.path / "store").string();
  REQUIRE(run_exe(sweep + " --out " + (dir.path / "base").string() + " --save-baseline main", dir.path / "log0") == 0);
  const auto out = dir.path / "slow";
  int code = 0;
  {
    fa::testing::ScopedEnv spec(fault_injection::kSpecVar, "300%:*Nq64*");
    fa::testing::ScopedEnv ack(fault_injection::kAckVar, "falsify-timings");
    code = run_exe(sweep + " --out " + out.string() + " --baseline main", dir.path / "log1");
  }
  INFO(slurp_file(dir.path / "log1"));
  CHECK(code == 1);
  const auto gate = nlohmann::json::parse(slurp_file(out / "gate.json"));
  CHECK(gate.at("evidence").at("confirm_method") == "each round in a fresh fa-bench process");
  CHECK(gate.at("evidence").at("confirm_rounds") == 3);
  bool saw = false;
  for (const auto& p : gate.at("points")) {
    if (p.at("key").get<std::string>().find("Nq64") == std::string::npos) continue;
    saw = true;
    CHECK(p.at("verdict") == "regression");
    CHECK(p.at("confirmation").at("reproduced") == true);
    CHECK(p.at("confirmation").at("time_changes_pct").size() == 3);
  }
  CHECK(saw);
  // Each round's child wrote its rows, with the injection named in them.
  for (int round = 1; round <= 3; ++round) {
    const auto file = read_results_json((out / "confirm" / ("round-" + std::to_string(round)) / "results.json").string());
    bool injected = false;  // (the N = 16 point may be re-measured too: CPU timings on a shared machine)
    for (const Row& r : file.rows) {
      if (r.point.problem.seqlen_q == 64) injected = r.reason.find("TEST-ONLY fault injection") != std::string::npos;
    }
    CHECK(injected);
  }
}
