// fa-bench-gbench end to end, as a user runs it: the built binary (FA_GBENCH_EXE) in a child
// process, its benchmark list and a real timed run of one CPU reference point in Google
// Benchmark's JSON format. Compiled only when Google Benchmark is installed (FA_HAS_GBENCH).
#if FA_HAS_GBENCH
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "core/kernel.hpp"
#include "measure/point_runner.hpp"
#include "sweep/expand.hpp"
#include "sweep/sweep_file.hpp"

namespace {

struct Child {
  int code = -1;
  std::string out, err;
};

// Runs the binary with `args` (shell words, already quoted where needed); stdout and stderr apart.
Child run_gbench(const std::string& args) {
  const auto err_path =
      std::filesystem::temp_directory_path() / ("fa_gbench_err_" + std::to_string(getpid()) + ".txt");
  const std::string cmd = std::string("'") + FA_GBENCH_EXE + "' " + args + " 2>'" + err_path.string() + "'";
  Child c;
  FILE* pipe = popen(cmd.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;) c.out.append(buf, n);
  const int status = pclose(pipe);
  c.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream f(err_path);
  std::stringstream ss;
  ss << f.rdbuf();
  c.err = ss.str();
  std::filesystem::remove(err_path);
  return c;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("gbench: --benchmark_list_tests lists the 24 cpu-default points by fa-bench label", "[gbench]") {
  const Child c = run_gbench("--fa-sweep cpu-default --benchmark_list_tests");
  INFO(c.err);
  REQUIRE(c.code == 0);
  const std::vector<std::string> names = lines_of(c.out);
  // The expected list from the sweep library itself; UseManualTime adds "/manual_time".
  fa::SweepSpec base;
  base.known_kernels = {"reference"};
  const fa::Expansion ex = fa::expand(fa::load_builtin_sweep("cpu-default", base), {});
  REQUIRE(ex.points.size() == 24);
  std::vector<std::string> expected;
  for (const fa::Point& pt : ex.points) expected.push_back(fa::point_label(pt) + "/manual_time");
  CHECK(names == expected);
  CHECK(names.front() == "reference/fwd/B1-H2-N64-D32-fp16/manual_time");
  CHECK(names.back() == "reference/bwd/B1-H2-N256-D64-fp16-causal/manual_time");
}

TEST_CASE("gbench: one reference point runs and reports time and TFLOP/s in JSON", "[gbench]") {
  const Child c = run_gbench(
      "--fa-sweep cpu-default '--benchmark_filter=^reference/fwd/B1-H2-N64-D32-fp16/manual_time$' "
      "--benchmark_min_time=0.02 --benchmark_format=json");
  INFO(c.err);
  REQUIRE(c.code == 0);
  const nlohmann::json j = nlohmann::json::parse(c.out);
  REQUIRE(j.at("benchmarks").size() == 1);
  const nlohmann::json& b = j["benchmarks"][0];
  CHECK(b.at("name") == "reference/fwd/B1-H2-N64-D32-fp16/manual_time");
  CHECK_FALSE(b.value("error_occurred", false));
  CHECK(b.at("time_unit") == "ms");
  CHECK(b.at("iterations").get<long>() > 0);
  const double real_ms = b.at("real_time").get<double>();
  CHECK(real_ms > 0);
  const double flop = b.at("FLOP").get<double>();
  CHECK(flop == Approx(4.0 * 1 * 2 * 64 * 64 * 32));
  // TFLOP/s comes from the run's median iteration (real_time is the mean, so they differ with noise).
  // The float64 reference on one CPU core does ~0.01 TFLOP/s here: the window below catches a unit
  // slip of 1000x (ms vs s, GFLOP vs TFLOP) either way without depending on machine load.
  const double tflops = b.at("TFLOP/s").get<double>();
  CHECK(tflops > 1e-5);
  CHECK(tflops < 0.5);
  fa::Problem p;
  p.batch = 1, p.heads = 2, p.seqlen_q = p.seqlen_kv = 64, p.head_dim = 32;
  CHECK(b.at("bytes_io").get<double>() ==
        static_cast<double>(fa::operand_bytes(p, fa::Pass::fwd, fa::Backend::host)));
  CHECK(b.at("label") == "host");
  CHECK(j.at("context").contains("fa_device"));
}

TEST_CASE("gbench: a point that cannot run is skipped with its reason", "[gbench]") {
  const Child c = run_gbench(
      "--fa-kernel reference --fa-layout bnhd --fa-seqlen 64 --benchmark_format=json");
  INFO(c.err);
  REQUIRE(c.code == 0);
  const nlohmann::json j = nlohmann::json::parse(c.out);
  REQUIRE(j.at("benchmarks").size() == 1);
  const nlohmann::json& b = j["benchmarks"][0];
  CHECK(b.at("name") == "reference/fwd/B1-H8-N64-D64-fp16-bnhd/manual_time");
  CHECK(b.at("error_occurred") == true);
  CHECK_THAT(b.at("error_message").get<std::string>(), Catch::Contains("bhnd layout only"));
}

TEST_CASE("gbench: bad flags exit 2 with the flag named", "[gbench]") {
  Child c = run_gbench("--fa-seqlen 12x --benchmark_list_tests");
  CHECK(c.code == 2);
  CHECK_THAT(c.err, Catch::Contains("--fa-seqlen: '12x'"));
  c = run_gbench("--fa-nope 1");
  CHECK(c.code == 2);
  CHECK_THAT(c.err, Catch::Contains("--fa-nope: unknown flag"));
  c = run_gbench("--benchmark_nope=1");
  CHECK(c.code == 2);
  CHECK_THAT(c.err, Catch::Contains("--benchmark_nope"));
  CHECK(c.out.empty());
}

TEST_CASE("gbench: --fa-help lists the sweep axes", "[gbench]") {
  const Child c = run_gbench("--fa-help");
  CHECK(c.code == 0);
  CHECK_THAT(c.out, Catch::Contains("--fa-sweep NAME") && Catch::Contains("--fa-head-dim INTS") &&
                        Catch::Contains("--fa-hot") && Catch::Contains("ignored with --fa-tokens"));
}
#endif
