// Sweep files: loading, value conversion, errors naming file/sweep/key, and the built-in sweeps.
#include <catch2/catch.hpp>

#include "usage_error_message.hpp"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <unistd.h>

#include "core/errors.hpp"
#include "sweep/expand.hpp"
#include "sweep/sweep_file.hpp"

using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {

// A JSON file in the temp directory, removed when the test ends.
class TempSweepFile {
 public:
  explicit TempSweepFile(std::string_view text) {
    static std::atomic<int> counter{0};
    path_ = fs::temp_directory_path() /
            ("fa_sweep_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".json");
    std::ofstream(path_) << text;
  }
  ~TempSweepFile() {
    std::error_code ec;
    fs::remove(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

fa::SweepSpec base_spec() {
  fa::SweepSpec s;
  s.known_kernels = {"reference", "standard", "flash", "flash3", "block_sparse", "cudnn", "ring"};
  return s;
}

bool mask_kernel(std::string_view k) { return k == "block_sparse"; }

using fa::testing::usage_message;

constexpr std::string_view kGoodFile = R"({
  // comments are allowed
  "sweeps": {
    "zeta": {
      "description": "listed first because it comes first",
      "kernel": ["standard", "flash"],
      "seqlen": "512:4096:x2",
      "batch": [1, 2],
      "causal": [false, true],
      "dropout": 0.1,
      "head_dim": ["64", 128],
      "dtype": "bf16",
      "tokens": 16384,
      "block": "64x128"
    },
    "alpha": {"seqlen-kv": [2048, "4096:8192:x2"], "pass": "fwd,bwd"}
  }
})";

}  // namespace

TEST_CASE("a sweep file sets the axes it names and keeps the base for the rest", "[sweep]") {
  const TempSweepFile file(kGoodFile);
  fa::SweepSpec base = base_spec();
  base.heads = {4};
  const fa::SweepSpec s = fa::load_sweep(file.path(), "zeta", base);
  CHECK(s.description == "listed first because it comes first");
  CHECK(s.kernels == std::vector<std::string>{"standard", "flash"});
  CHECK(s.seqlen == std::vector<std::int64_t>{512, 1024, 2048, 4096});
  CHECK(s.batch == std::vector<std::int64_t>{1, 2});
  CHECK(s.causal == std::vector<bool>{false, true});
  CHECK(s.dropout == std::vector<double>{0.1});  // a JSON number comes through exactly
  CHECK(s.head_dim == std::vector<std::int64_t>{64, 128});
  CHECK(s.dtypes == std::vector<fa::DType>{fa::DType::bf16});
  CHECK(s.tokens == std::optional<std::int64_t>(16384));
  CHECK((s.block_q == 64 && s.block_k == 128));
  CHECK(s.heads == std::vector<std::int64_t>{4});  // untouched: from the base
  CHECK(s.known_kernels == base.known_kernels);

  const fa::SweepSpec a = fa::load_sweep(file.path(), "alpha", base);
  CHECK(a.seqlen_kv == std::vector<std::int64_t>{2048, 4096, 8192});
  CHECK(a.passes == std::vector<fa::Pass>{fa::Pass::fwd, fa::Pass::bwd});
}

TEST_CASE("sweep names are listed in file order with their descriptions", "[sweep]") {
  const TempSweepFile file(kGoodFile);
  CHECK(fa::list_sweeps(file.path()) == std::vector<std::string>{"zeta", "alpha"});
  const auto infos = fa::describe_sweeps(file.path());
  REQUIRE(infos.size() == 2);
  CHECK(infos[0].description == "listed first because it comes first");
  CHECK(infos[1].description.empty());
}

TEST_CASE("sweep file errors name the file, the sweep and the key", "[sweep]") {
  const auto load = [](std::string_view text, std::string_view name = "s") {
    const TempSweepFile file(text);
    const std::string msg = usage_message([&] { fa::load_sweep(file.path(), name, base_spec()); });
    CHECK_THAT(msg, Contains(file.path().string()));
    return msg;
  };
  CHECK_THAT(load(R"({"sweeps": {"s": {"seqlenn": 5}}})"),
             Contains("sweep 's'") && Contains("unknown key 'seqlenn'") && Contains("accepted: description, parts, kernel") &&
                 Contains("head-dim"));
  CHECK_THAT(load(R"({"sweeps": {"s": {"seqlen": "abc"}}})"),
             Contains("sweep 's': --seqlen: 'abc' is not a valid value"));
  CHECK_THAT(load(R"({"sweeps": {"s": {"dtype": ["fp16", "fp12"]}}})"), Contains("--dtype: 'fp12'"));
  CHECK_THAT(load(R"({"sweeps": {"s": {"kernel": "flsh"}}})"), Contains("--kernel: 'flsh'"));
  CHECK_THAT(load(R"({"sweeps": {"s": {"batch": true}}})"), Contains("--batch: 'true'"));
  CHECK_THAT(load(R"({"sweeps": {"s": {"batch": -2}}})"), Contains("--batch: '-2'"));
  CHECK_THAT(load(R"({"sweeps": {"s": {"batch": null}}})"), Contains("key 'batch'") && Contains("expected a string"));
  CHECK_THAT(load(R"({"sweeps": {"s": {"batch": [[1, 2]]}}})"), Contains("key 'batch'"));
  CHECK_THAT(load(R"({"sweeps": {"s": {"batch": {"a": 1}}}})"), Contains("key 'batch'"));
  CHECK_THAT(load(R"({"sweeps": {"s": {"batch": []}}})"), Contains("key 'batch'") && Contains("empty"));
  CHECK_THAT(load(R"({"sweeps": {"s": {"description": 3}}})"), Contains("key 'description'"));
  CHECK_THAT(load(R"({"sweeps": {"a": {}, "b": {}}})", "c"),
             Contains("no sweep named 'c'") && Contains("available: a, b"));
  CHECK_THAT(load(R"({"sweeps": {"s": {"batch": 1,}}})"), Contains("not valid JSON"));
  CHECK_THAT(load(R"({"sweep": {}})"), Contains("unknown top-level key 'sweep'"));
  CHECK_THAT(load(R"([1, 2])"), Contains("top level must be an object"));
  CHECK_THAT(load(R"({"sweeps": {"s": [1]}})"), Contains("sweep 's' must be an object"));
}

TEST_CASE("a missing sweep file is a usage error naming the path", "[sweep]") {
  const fs::path missing = fs::temp_directory_path() / "fa_sweep_test_does_not_exist.json";
  CHECK_THAT(usage_message([&] { fa::list_sweeps(missing); }), Contains(missing.string()));
}

TEST_CASE("the built-in sweeps parse and expand to their documented point counts", "[sweep]") {
  const auto names = fa::list_builtin_sweeps();
  for (const char* required : {"default", "cpu-default", "fa2-benchmark", "block-sparse", "smoke", "ci-gate"}) {
    INFO(required);
    CHECK(std::find(names.begin(), names.end(), required) != names.end());
  }
  for (const auto& info : fa::describe_builtin_sweeps()) {
    INFO(info.name);
    CHECK(!info.description.empty());
  }

  // Kernel names in the built-ins must all be in the catalogue, so every one must load.
  const std::map<std::string, std::size_t> expected = {
      {"default", 60}, {"cpu-default", 24}, {"fa2-benchmark", 192}, {"block-sparse", 56}, {"llm-shapes", 288}};
  for (const auto& [name, count] : expected) {
    INFO(name);
    const auto e = fa::expand(fa::load_builtin_sweep(name, base_spec()), mask_kernel);
    CHECK(e.points.size() == count);
    CHECK(e.dropped_by_constraints == 0);
  }
  // smoke names no kernels: the CLI fills in the available ones.
  fa::SweepSpec smoke = fa::load_builtin_sweep("smoke", base_spec());
  CHECK(smoke.kernels.empty());
  smoke.kernels = {"reference", "flash", "block_sparse"};
  CHECK(fa::expand(smoke, mask_kernel).points.size() == 8 + 8 + 16);
  // ci-gate: 3 kernels x 2 passes x 3 seqlens x 2 head dims, dense (no sparsity axis given).
  CHECK(fa::expand(fa::load_builtin_sweep("ci-gate", base_spec()), mask_kernel).points.size() == 36);

  CHECK_THAT(usage_message([] { fa::load_builtin_sweep("nope", base_spec()); }),
             Contains("built-in sweeps: no sweep named 'nope'") && Contains("cpu-default"));
}

TEST_CASE("llm-shapes: 32 query heads over 32, 8 and 1 K/V heads at 16k tokens, a varlen batch, and decoding",
          "[sweep][gqa]") {
  const auto e = fa::expand(fa::load_builtin_sweep("llm-shapes", base_spec()), mask_kernel);
  // Training part: 4 kernels x 2 passes x 2 causal x 3 K/V head counts x (3 seqlens + the varlen batch);
  // decode part: 4 kernels x fwd x 2 causal x 2 query lengths x 6 cache lengths.
  REQUIRE(e.points.size() == 192 + 96);
  std::set<std::int64_t> kv_heads, caches;
  int varlen = 0, decode = 0;
  for (const auto& p : e.points) {
    if (p.problem.seqlen_q <= 4) {
      ++decode;
      CHECK((p.pass == fa::Pass::fwd && p.problem.batch == 8 && p.problem.num_kv_heads() == 8));
      caches.insert(p.problem.seqlen_kv);
    } else if (p.problem.is_varlen()) {
      ++varlen;
      CHECK(p.problem.batch == 16);
      CHECK(*std::min_element(p.problem.seqlens.begin(), p.problem.seqlens.end()) >= 1024);
      CHECK(p.problem.seqlen_q <= 8192);
    } else {
      CHECK(p.problem.batch * p.problem.seqlen_q == 16384);
    }
    CHECK((p.problem.heads == 32 && p.problem.head_dim == 128));
    CHECK(p.problem.dtype == fa::DType::bf16);
    kv_heads.insert(p.problem.num_kv_heads());
  }
  CHECK(kv_heads == std::set<std::int64_t>{32, 8, 1});
  CHECK(varlen == 48);
  CHECK(decode == 96);
  CHECK(caches == std::set<std::int64_t>{4096, 8192, 16384, 32768, 65536, 131072});
}

TEST_CASE("sweep parts: each part on top of the sweep's settings, the union of their points, shared points once",
          "[sweep]") {
  const TempSweepFile f(R"({"sweeps": {"mix": {
    "parts": [{"seqlen": [512, 1024]}, {"seqlen": [1024, 2048], "pass": "bwd"}, {"seqlen": 512}],
    "kernel": "flash", "dtype": "bf16", "head-dim": 128}}})");
  const fa::SweepSpec spec = fa::load_sweep(f.path(), "mix", base_spec());
  REQUIRE(spec.parts.size() == 3);
  const auto e = fa::expand(spec, mask_kernel);
  // Part 1: fwd 512, 1024; part 2: bwd 1024, 2048; part 3: fwd 512 again (listed once).
  REQUIRE(e.points.size() == 4);
  CHECK(e.points[0].pass == fa::Pass::fwd);
  CHECK(e.points[0].problem.seqlen_q == 512);
  CHECK(e.points[2].pass == fa::Pass::bwd);
  CHECK(e.points[3].problem.seqlen_q == 2048);
  for (const auto& p : e.points) {
    // The sweep's own settings reach every part, whatever the key order in the file.
    CHECK(p.kernel == "flash");
    CHECK(p.problem.dtype == fa::DType::bf16);
    CHECK(p.problem.head_dim == 128);
  }
}

TEST_CASE("sweep parts: errors name the sweep and the part", "[sweep]") {
  const auto load = [](std::string_view text) {
    const TempSweepFile f(text);
    return usage_message([&] { fa::load_sweep(f.path(), "s", base_spec()); });
  };
  CHECK_THAT(load(R"({"sweeps": {"s": {"parts": []}}})"), Contains("sweep 's': key 'parts': expected a non-empty array"));
  CHECK_THAT(load(R"({"sweeps": {"s": {"parts": [5]}}})"), Contains("sweep 's': part 1: expected an object"));
  CHECK_THAT(load(R"({"sweeps": {"s": {"parts": [{"seqlen": 1}, {"parts": []}]}}})"),
             Contains("part 2: key 'parts' belongs to the sweep, not a part"));
  CHECK_THAT(load(R"({"sweeps": {"s": {"parts": [{"seqlen": "abc"}]}}})"),
             Contains("sweep 's': part 1") && Contains("--seqlen: 'abc'"));
}

TEST_CASE("cpu-default is 24 small reference points", "[sweep]") {
  const auto e = fa::expand(fa::load_builtin_sweep("cpu-default", base_spec()), mask_kernel);
  REQUIRE(e.points.size() == 24);
  for (const auto& p : e.points) {
    CHECK(p.kernel == "reference");
    CHECK((p.problem.batch == 1 && p.problem.heads == 2));
    CHECK(p.problem.seqlen_q <= 256);
    CHECK((p.problem.head_dim == 32 || p.problem.head_dim == 64));
  }
}

TEST_CASE("fa2-benchmark keeps 16k tokens and hidden 2048 at every point", "[sweep]") {
  const auto e = fa::expand(fa::load_builtin_sweep("fa2-benchmark", base_spec()), mask_kernel);
  REQUIRE(e.points.size() == 192);
  std::set<std::int64_t> seqlens;
  for (const auto& p : e.points) {
    CHECK(p.problem.batch * p.problem.seqlen_q == 16384);
    CHECK(p.problem.heads * p.problem.head_dim == 2048);
    CHECK(p.problem.dtype == fa::DType::bf16);
    CHECK((p.pass == fa::Pass::fwd || p.pass == fa::Pass::fwdbwd));
    seqlens.insert(p.problem.seqlen_q);
  }
  CHECK(seqlens == std::set<std::int64_t>{512, 1024, 2048, 4096, 8192, 16384});
}
