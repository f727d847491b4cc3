// `fa-bench compare` end to end, in-process: exit codes 0 / 1 / 2, the Markdown on stdout and in
// --markdown, the JSON verdict in --json, errors naming the file or flag, --stored baselines.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_runner.hpp"
#include "reports/baseline_store.hpp"
#include "test_compare_fixture.hpp"

using namespace fa;
using namespace fa::test::cmp;

namespace {

using fa::testing::CliResult;

CliResult fa_bench(std::initializer_list<std::string> args) { return fa::testing::run_fa_bench(args); }

std::vector<Row> slower_flash() {
  auto rows = baseline_rows();
  find_row(rows, "flash", 4096) = tight_row("flash", 4096, 6.6);
  return rows;
}

}  // namespace

TEST_CASE("compare CLI: identical files exit 0", "[compare]") {
  Scratch dir;
  const std::string b = dir.json("base.json", baseline_rows());
  const auto r = fa_bench({"compare", b, b});
  INFO(r.out << r.err);
  CHECK(r.code == 0);
  CHECK(r.out.rfind("## fa-bench compare: PASS", 0) == 0);
  CHECK(r.err.empty());
}

TEST_CASE("compare CLI: a regression exits 1 and writes Markdown and JSON", "[compare]") {
  Scratch dir;
  const std::string b = dir.json("base.json", baseline_rows()), c = dir.json("cur.json", slower_flash());
  const std::string md = (dir.path / "comment.md").string(), js = (dir.path / "verdict.json").string();
  const auto r = fa_bench({"compare", b, c, "--markdown", md, "--json", js});
  INFO(r.out << r.err);
  CHECK(r.code == 1);
  CHECK(r.out.rfind("## fa-bench compare: FAIL", 0) == 0);
  CHECK(r.out.find("flash/fwd/B1-H8-N4096-D64-fp16") != std::string::npos);
  CHECK(slurp_file(md) == r.out);
  const auto verdict = nlohmann::json::parse(slurp_file(js));
  CHECK(verdict.at("verdict") == "fail");
  CHECK(verdict.at("counts").at("regressions") == 1);

  // Thresholds as flags, with or without '%': a 20% threshold lets the 10% through.
  CHECK(fa_bench({"compare", b, c, "--threshold", "20%"}).code == 0);
  CHECK(fa_bench({"compare", b, c, "--threshold", "20"}).code == 0);
  const auto alpha = fa_bench({"compare", b, c, "--alpha", "0.05", "--bytes-threshold", "3%", "--mem-threshold", "1",
                               "--json", js});
  CHECK(alpha.code == 1);
  const auto options = nlohmann::json::parse(slurp_file(js)).at("options");
  CHECK(options.at("alpha") == 0.05);
  CHECK(options.at("bytes_threshold_pct") == 3);
  CHECK(options.at("mem_threshold_pct") == 1);
}

TEST_CASE("compare CLI: bad input exits 2 naming the file or flag", "[compare]") {
  Scratch dir;
  const std::string b = dir.json("base.json", baseline_rows());
  const std::string missing = (dir.path / "nope.json").string();
  auto r = fa_bench({"compare", b, missing});
  CHECK(r.code == 2);
  CHECK(r.err.find("nope.json") != std::string::npos);

  write_text(dir.path / "other.json", R"({"schema": "fa-bench/results", "schema_version": 99, "rows": []})");
  r = fa_bench({"compare", (dir.path / "other.json").string(), b});
  CHECK(r.code == 2);
  CHECK(r.err.find("other.json") != std::string::npos);
  CHECK(r.err.find("schema_version") != std::string::npos);

  write_text(dir.path / "results.txt", "x");
  r = fa_bench({"compare", b, (dir.path / "results.txt").string()});
  CHECK(r.code == 2);
  CHECK(r.err.find("results.txt") != std::string::npos);

  r = fa_bench({"compare", b, b, "--threshold", "five"});
  CHECK(r.code == 2);
  CHECK(r.err.find("--threshold") != std::string::npos);
  r = fa_bench({"compare", b, b, "--alpha", "0"});
  CHECK(r.code == 2);
  CHECK(r.err.find("--alpha") != std::string::npos);
  r = fa_bench({"compare", b});
  CHECK(r.code == 2);
  CHECK(r.err.find("CURRENT") != std::string::npos);
  CHECK(fa_bench({"compare"}).code == 2);
}

TEST_CASE("compare CLI: different GPUs exit 2 unless allowed", "[compare]") {
  Scratch dir;
  const std::string b = dir.json("base.json", baseline_rows());
  const std::string c = dir.json("cur.json", baseline_rows(), "NVIDIA H200");
  auto r = fa_bench({"compare", b, c});
  CHECK(r.code == 2);
  CHECK(r.err.find("NVIDIA H200") != std::string::npos);
  CHECK(r.err.find("--allow-device-mismatch") != std::string::npos);
  r = fa_bench({"compare", b, c, "--allow-device-mismatch"});
  CHECK(r.code == 0);
  CHECK(r.out.find("devices differ") != std::string::npos);
}

TEST_CASE("compare CLI: --stored picks the baseline of CURRENT's GPU", "[compare]") {
  Scratch dir;
  const auto store = dir.path / "baselines";
  baselines::save(store, "main", "", dir.json("main.json", baseline_rows()));
  baselines::save(store, "main", "NVIDIA H200", dir.json("h200.json", slower_flash(), "NVIDIA H200"));
  const std::string cur = dir.json("cur.json", slower_flash());
  auto r = fa_bench({"compare", "--stored", "main", "--baseline-dir", store.string(), cur});
  INFO(r.out << r.err);
  CHECK(r.code == 1);  // against the H100 baseline, not the H200 one (which equals CURRENT's rows)
  CHECK(r.out.find("NVIDIA_H100_80GB_HBM3/main.json") != std::string::npos);
  r = fa_bench({"compare", "--stored", "nightly", "--baseline-dir", store.string(), cur});
  CHECK(r.code == 2);
  CHECK(r.err.find("--stored") != std::string::npos);
  CHECK(r.err.find("nightly") != std::string::npos);
  r = fa_bench({"compare", "--stored", "../x", "--baseline-dir", store.string(), cur});
  CHECK(r.code == 2);
}
