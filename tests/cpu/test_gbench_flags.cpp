// fa-bench-gbench's own flags and the points it registers, in-process (gbench/gbench_flags.hpp,
// gbench/gbench_plan.hpp). Compiled only when Google Benchmark is installed (FA_HAS_GBENCH).
#if FA_HAS_GBENCH
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "gbench/gbench_flags.hpp"
#include "gbench/gbench_plan.hpp"

namespace {

// An argv that take_fa_flags may rewrite, with the argv[argc] == nullptr slot main() has.
struct Argv {
  std::vector<std::string> words;
  std::vector<char*> ptrs;
  int argc = 0;
  explicit Argv(std::vector<std::string> w) : words(std::move(w)) {
    for (auto& s : words) ptrs.push_back(s.data());
    ptrs.push_back(nullptr);
    argc = static_cast<int>(words.size());
  }
  std::vector<std::string> left() const {
    std::vector<std::string> out;
    for (int i = 0; i < argc; ++i) out.emplace_back(ptrs[static_cast<std::size_t>(i)]);
    return out;
  }
};

fa::gbench::Options parse(Argv& a) { return fa::gbench::take_fa_flags(a.argc, a.ptrs.data()); }

std::string usage_error_of(std::vector<std::string> words) {
  Argv a(std::move(words));
  try {
    parse(a);
  } catch (const fa::UsageError& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST_CASE("gbench: --fa- flags are taken out, Google Benchmark flags stay in order", "[gbench]") {
  Argv a({"fa-bench-gbench", "--benchmark_filter=flash", "--fa-sweep", "cpu-default", "--fa-seqlen=64,128",
          "--benchmark_repetitions=3", "--fa-head_dim", "32", "--fa-hot", "--fa-device=1", "--fa-data-seed", "7"});
  const fa::gbench::Options o = parse(a);
  CHECK(a.left() == std::vector<std::string>{"fa-bench-gbench", "--benchmark_filter=flash", "--benchmark_repetitions=3"});
  CHECK(a.ptrs[static_cast<std::size_t>(a.argc)] == nullptr);
  CHECK(o.sweep.sweep_name == "cpu-default");
  CHECK(o.sweep.axis_values.at("seqlen") == "64,128");
  CHECK(o.sweep.axis_values.at("head-dim") == "32");  // '_' spelled as in the axis list
  CHECK(o.mode == fa::TimingMode::hot);
  CHECK(o.device == 1);
  CHECK(o.data_seed == 7);
  CHECK_FALSE(o.help);
}

TEST_CASE("gbench: defaults without --fa- flags", "[gbench]") {
  Argv a({"fa-bench-gbench", "--benchmark_list_tests"});
  const fa::gbench::Options o = parse(a);
  CHECK(a.argc == 2);
  CHECK(o.sweep.sweep_name.empty());
  CHECK(o.sweep.axis_values.empty());
  CHECK(o.mode == fa::TimingMode::cold);
  CHECK(o.device == 0);
  CHECK(o.data_seed == 42);
}

TEST_CASE("gbench: bad --fa- flags name the flag", "[gbench]") {
  CHECK_THAT(usage_error_of({"x", "--fa-bogus=1"}), Catch::StartsWith("--fa-bogus=1: unknown flag") &&
                                                        Catch::Contains("--fa-head-dim"));
  CHECK(usage_error_of({"x", "--fa-seqlen"}) == "--fa-seqlen: needs a value");
  CHECK(usage_error_of({"x", "--fa-seqlen="}) == "--fa-seqlen: needs a value");
  CHECK(usage_error_of({"x", "--fa-hot=1"}) == "--fa-hot: takes no value");
  CHECK_THAT(usage_error_of({"x", "--fa-device", "-1"}), Catch::StartsWith("--fa-device: '-1' is not valid"));
  CHECK_THAT(usage_error_of({"x", "--fa-data-seed=12ab"}), Catch::StartsWith("--fa-data-seed: '12ab'"));
  CHECK(usage_error_of({"x", "--fa-help"}) == "no error");
}

TEST_CASE("gbench: sweep errors are worded with the --fa- flag", "[gbench]") {
  fa::gbench::Options o;
  o.sweep.axis_values["seqlen"] = "12x";
  try {
    fa::gbench::plan_points(o, false);
    FAIL("expected a UsageError");
  } catch (const fa::UsageError& e) {
    CHECK_THAT(std::string(e.what()), Catch::StartsWith("--fa-seqlen: '12x'"));
  }
  o = {};
  o.sweep.sweep_name = "no-such-sweep";
  CHECK_THROWS_AS(fa::gbench::plan_points(o, false), fa::UsageError);
  CHECK(fa::gbench::reword_for_fa_flags("results.json: rows[1]") == "results.json: rows[1]");
}

TEST_CASE("gbench: the cpu-default sweep plans 24 runnable reference points", "[gbench]") {
  fa::gbench::Options o;
  o.sweep.sweep_name = "cpu-default";
  const fa::gbench::Plan plan = fa::gbench::plan_points(o, /*have_gpu=*/false);
  REQUIRE(plan.points.size() == 24);
  for (const auto& pp : plan.points) {
    CHECK(pp.point.kernel == "reference");
    CHECK(pp.runnable);
    CHECK(pp.name == fa::point_label(pp.point));
  }
  const auto& first = plan.points.front();
  CHECK(first.name == "reference/fwd/B1-H2-N64-D32-fp16");
  CHECK(first.flops == Approx(4.0 * 1 * 2 * 64 * 64 * 32));  // 4 B H Nq Nk D
  // Causal keeps the bottom-right triangle, 64*65/2 of 64*64 scores; backward is 2.5x forward.
  const auto& causal_bwd = plan.points[15];
  REQUIRE(causal_bwd.name == "reference/bwd/B1-H2-N64-D32-fp16-causal");
  CHECK(causal_bwd.flops == Approx(2.5 * 4.0 * 1 * 2 * 32 * (64.0 * 65 / 2)));  // 2.5 x 4 B H D x visible
}

TEST_CASE("gbench: points that cannot run here are planned with the reason", "[gbench]") {
  fa::gbench::Options o;
  o.sweep.axis_values["kernel"] = "reference";
  o.sweep.axis_values["layout"] = "bnhd";
  o.sweep.axis_values["seqlen"] = "64";
  const fa::gbench::Plan plan = fa::gbench::plan_points(o, false);
  REQUIRE(plan.points.size() == 1);
  CHECK_FALSE(plan.points[0].runnable);
  CHECK_THAT(plan.points[0].reason, Catch::Contains("bhnd"));
  CHECK(plan.points[0].name == "reference/fwd/B1-H8-N64-D64-fp16-bnhd");
}
#endif
