// The baseline store: file names from GPU models, saving (validated, by GPU, runs of one build
// added, another build starting over), reading old single-run files, listing, and names that must
// never reach the file system.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <string>

#include "core/errors.hpp"
#include "reports/baseline_store.hpp"
#include "reports/json.hpp"
#include "test_compare_fixture.hpp"

using namespace fa;
using namespace fa::test::cmp;
namespace bs = fa::baselines;

TEST_CASE("GPU models become safe directory names", "[compare]") {
  CHECK(bs::sanitize_gpu_model("NVIDIA H100 80GB HBM3") == "NVIDIA_H100_80GB_HBM3");
  CHECK(bs::sanitize_gpu_model("NVIDIA A100-SXM4-80GB") == "NVIDIA_A100-SXM4-80GB");
  CHECK(bs::sanitize_gpu_model("  NVIDIA GeForce RTX 4090 (x2) ") == "NVIDIA_GeForce_RTX_4090_x2");
  CHECK(bs::sanitize_gpu_model("a/b\\c:d") == "a_b_c_d");
  CHECK(bs::sanitize_gpu_model("cpu (no CUDA driver)") == "cpu");
  CHECK(bs::sanitize_gpu_model("..") == "unknown");
  CHECK(bs::sanitize_gpu_model("../../etc") == "etc");
  CHECK(bs::sanitize_gpu_model("") == "unknown");
  CHECK(bs::path_for("store", "main", "NVIDIA H100 80GB HBM3") ==
        std::filesystem::path("store") / "NVIDIA_H100_80GB_HBM3" / "main.json");
}

TEST_CASE("baseline names are checked before use", "[compare]") {
  CHECK_NOTHROW(bs::check_name("main"));
  CHECK_NOTHROW(bs::check_name("release-1.2_rc"));
  for (const char* bad : {"", ".hidden", "a/b", "..", "x y", "a\\b"}) {
    INFO(bad);
    CHECK_THROWS_AS(bs::check_name(bad), UsageError);
  }
  CHECK_THROWS_WITH(bs::path_for("store", "../escape", "gpu"), Catch::Contains("../escape"));
}

TEST_CASE("save files a results file under its GPU, list finds it", "[compare]") {
  Scratch dir;
  const auto store = dir.path / "store";
  CHECK(bs::list(store).empty());  // no directory yet

  const std::string results = dir.json("results.json", baseline_rows());
  const bs::SaveResult saved = bs::save(store, "main", "", results);  // GPU from the file's metadata
  CHECK(saved.path == bs::path_for(store, "main", kH100));
  CHECK(saved.runs == 1);
  CHECK(saved.note == "new baseline");
  // Every field survives, samples included (the gate's tests need them).
  const auto runs = bs::read_runs(saved.path);
  REQUIRE(runs.size() == 1);
  CHECK(results_json_text(runs[0].metadata, runs[0].rows) == slurp_file(results));

  // A second run of the same build is added; another name and GPU beside it.
  const std::string newer = dir.json("newer.json", {tight_row("flash", 1024, 0.4)});
  CHECK(bs::save(store, "main", kH100, newer).runs == 2);
  bs::save(store, "nightly", "NVIDIA H200", dir.json("h200.json", baseline_rows(), "NVIDIA H200"));
  write_text(store / "NVIDIA_H200" / "broken.json", "not json");

  const auto all = bs::list(store);
  REQUIRE(all.size() == 3);
  CHECK(all[0].gpu_model == "NVIDIA_H100_80GB_HBM3");
  CHECK(all[0].name == "main");
  CHECK(all[0].device == kH100);
  CHECK(all[0].runs == 2);
  CHECK(all[0].rows == 1);  // of the last run
  CHECK(all[0].error.empty());
  CHECK(all[1].name == "broken");
  CHECK_FALSE(all[1].error.empty());
  CHECK(all[2].name == "nightly");
  CHECK(all[2].runs == 1);
  CHECK(all[2].rows == 6);
}

TEST_CASE("runs of one build accumulate, another build starts the baseline over", "[compare]") {
  Scratch dir;
  const auto store = dir.path / "store";
  auto run_file = [&](const std::string& name, const std::string& commit) {
    RunMetadata m = metadata();
    m.git_commit = commit;
    const auto p = dir.path / name;
    write_text(p, results_json_text(m, baseline_rows()));
    return p;
  };
  for (std::size_t k = 1; k <= bs::kMaxRuns + 2; ++k) {
    const bs::SaveResult r = bs::save(store, "main", "", run_file("r" + std::to_string(k) + ".json", "abc"));
    CHECK(r.runs == std::min(k, bs::kMaxRuns));  // the oldest dropped beyond the cap
  }
  // Another commit: the old runs describe other code.
  bs::SaveResult r = bs::save(store, "main", "", run_file("new.json", "def"));
  CHECK(r.runs == 1);
  CHECK(r.note.find("started over") != std::string::npos);
  CHECK(r.note.find("commit def") != std::string::npos);
  // An unknown commit can never be told to match.
  r = bs::save(store, "main", "", run_file("anon.json", ""));
  CHECK(r.runs == 1);
  CHECK(r.note.find("unknown") != std::string::npos);
  CHECK(bs::save(store, "main", "", run_file("anon2.json", "")).runs == 1);
  // Other timing mode: started over too.
  RunMetadata hot = metadata();
  hot.timing_mode = "hot";
  write_text(dir.path / "a.json", results_json_text(metadata(), baseline_rows()));
  write_text(dir.path / "hot.json", results_json_text(hot, baseline_rows()));
  bs::save(store, "modes", "", dir.path / "a.json");
  r = bs::save(store, "modes", "", dir.path / "hot.json");
  CHECK(r.runs == 1);
  CHECK(r.note.find("timing mode hot") != std::string::npos);
}

TEST_CASE("a baseline stored as a plain results file reads as one run", "[compare]") {
  Scratch dir;
  const auto store = dir.path / "store";
  const auto path = bs::path_for(store, "old", kH100);
  std::filesystem::create_directories(path.parent_path());
  write_text(path, results_json_text(metadata(), baseline_rows()));  // how baselines were kept before
  CHECK(bs::read_runs(path).size() == 1);
  CHECK(bs::read_runs(dir.csv("runs.csv", baseline_rows())).size() == 1);
  // Saving onto it adds the new run of the same build.
  CHECK(bs::save(store, "old", "", dir.json("next.json", baseline_rows())).runs == 2);
  // Malformed stored baselines name the file and what is wrong.
  write_text(dir.path / "empty.json", R"({"schema": "fa-bench/baseline", "schema_version": 1, "runs": []})");
  CHECK_THROWS_WITH(bs::read_runs(dir.path / "empty.json"), Catch::Contains("empty.json") && Catch::Contains("runs"));
  write_text(dir.path / "v9.json", R"({"schema": "fa-bench/baseline", "schema_version": 9, "runs": []})");
  CHECK_THROWS_WITH(bs::read_runs(dir.path / "v9.json"), Catch::Contains("schema_version"));
  write_text(dir.path / "badrun.json", R"({"schema": "fa-bench/baseline", "schema_version": 1, "runs": [{}]})");
  CHECK_THROWS_WITH(bs::read_runs(dir.path / "badrun.json"), Catch::Contains("runs[0]"));
}

TEST_CASE("save refuses files that would make a wrong baseline", "[compare]") {
  Scratch dir;
  const auto store = dir.path / "store";
  // Not a results file.
  write_text(dir.path / "junk.json", "{}");
  CHECK_THROWS_AS(bs::save(store, "main", kH100, dir.path / "junk.json"), UsageError);
  CHECK_THROWS_AS(bs::save(store, "main", kH100, dir.path / "missing.json"), UsageError);
  // Measured on another GPU than the one it would be filed under.
  const std::string h200 = dir.json("h200.json", baseline_rows(), "NVIDIA H200");
  CHECK_THROWS_WITH(bs::save(store, "main", kH100, h200), Catch::Contains("NVIDIA H200"));
  // No GPU known at all.
  const std::string anonymous = dir.json("anon.json", baseline_rows(), "");
  CHECK_THROWS_AS(bs::save(store, "main", "", anonymous), UsageError);
  CHECK(bs::list(store).empty());
  // A bad name never creates anything.
  CHECK_THROWS_AS(bs::save(store, "../main", kH100, dir.json("ok.json", baseline_rows())), UsageError);
  CHECK_FALSE(std::filesystem::exists(store));
}
