// The baseline store: file names from GPU models, saving (validated, byte for byte, by GPU),
// listing, and names that must never reach the file system.
#include <catch2/catch.hpp>

#include <filesystem>
#include <string>

#include "core/errors.hpp"
#include "reports/baseline_store.hpp"
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

TEST_CASE("save copies a results file under its GPU, list finds it", "[compare]") {
  Scratch dir;
  const auto store = dir.path / "store";
  CHECK(bs::list(store).empty());  // no directory yet

  const std::string results = dir.json("results.json", baseline_rows());
  const auto saved = bs::save(store, "main", "", results);  // GPU from the file's metadata
  CHECK(saved == bs::path_for(store, "main", kH100));
  CHECK(slurp_file(saved) == slurp_file(results));  // byte for byte: samples kept

  // Refresh: replaced, not duplicated. Another GPU and name beside it.
  const std::string newer = dir.json("newer.json", {tight_row("flash", 1024, 0.4)});
  bs::save(store, "main", kH100, newer);
  CHECK(slurp_file(saved) == slurp_file(newer));
  bs::save(store, "nightly", "NVIDIA H200", dir.json("h200.json", baseline_rows(), "NVIDIA H200"));
  write_text(store / "NVIDIA_H200" / "broken.json", "not json");

  const auto all = bs::list(store);
  REQUIRE(all.size() == 3);
  CHECK(all[0].gpu_model == "NVIDIA_H100_80GB_HBM3");
  CHECK(all[0].name == "main");
  CHECK(all[0].device == kH100);
  CHECK(all[0].rows == 1);
  CHECK(all[0].error.empty());
  CHECK(all[1].name == "broken");
  CHECK_FALSE(all[1].error.empty());
  CHECK(all[2].name == "nightly");
  CHECK(all[2].rows == 6);
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
