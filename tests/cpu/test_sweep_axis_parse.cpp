// Axis value syntax: lists, ranges, words, booleans, scalar settings, and the errors for bad input.
#include <catch2/catch.hpp>

#include "usage_error_message.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "sweep/axis_parse.hpp"
#include "sweep/sweep_spec.hpp"

using Catch::Matchers::Contains;
using I64s = std::vector<std::int64_t>;

namespace {

using fa::testing::usage_message;

}  // namespace

TEST_CASE("integer axes accept lists, geometric and arithmetic ranges and mixtures", "[sweep]") {
  CHECK(fa::parse_int_axis("--batch", "1,2,4") == I64s{1, 2, 4});
  CHECK(fa::parse_int_axis("--seqlen", "512:16384:x2") == I64s{512, 1024, 2048, 4096, 8192, 16384});
  CHECK(fa::parse_int_axis("--head-dim", "64:256:+64") == I64s{64, 128, 192, 256});
  CHECK(fa::parse_int_axis("--seqlen", "128,512:2048:x2") == I64s{128, 512, 1024, 2048});
  CHECK(fa::parse_int_axis("--seqlen", " 1 , 2 ") == I64s{1, 2});
  CHECK(fa::parse_int_axis("--seqlen", "8:8:x2") == I64s{8});
}

TEST_CASE("integer ranges stop at the last value not past stop", "[sweep]") {
  CHECK(fa::parse_int_axis("--seqlen", "64:250:+64") == I64s{64, 128, 192});
  CHECK(fa::parse_int_axis("--seqlen", "5:20:x3") == I64s{5, 15});
  // A factor range up to the int64 limit must neither overflow nor loop forever.
  const auto big = fa::parse_int_axis("--seqlen", "1:9223372036854775807:x2");
  REQUIRE(big.size() == 63);
  CHECK(big.back() == (std::int64_t{1} << 62));
}

TEST_CASE("integer axes drop repeated values and keep the written order", "[sweep]") {
  CHECK(fa::parse_int_axis("--batch", "4,1,4,2,1") == I64s{4, 1, 2});
  CHECK(fa::parse_int_axis("--seqlen", "64,32:128:x2") == I64s{64, 32, 128});
}

TEST_CASE("bad integer axes throw a UsageError naming the flag and the accepted forms", "[sweep]") {
  CHECK(usage_message([] { fa::parse_int_axis("--seqlen", "abc"); }) ==
        "--seqlen: 'abc' is not a valid value (accepted: a list like 1,2,4, a range start:stop:xF or "
        "start:stop:+S of positive integers)");
  const std::vector<std::string> bad = {
      "0",     "-4",     "5:1:x2",   "1:8:x1",   "1,,2",   "",    "1,",        "1:8",    "1:8:y2",
      "1:8:+0", "1:8:x", "1.5",      "2e3",      "99999999999999999999",     "1:8:x2:3", "0:8:x2",
      "1:1000000000:+1"};
  for (const auto& spec : bad) {
    INFO("spec: '" << spec << "'");
    const std::string msg = usage_message([&] { fa::parse_int_axis("--seqlen", spec); });
    CHECK_THAT(msg, Contains("--seqlen: '") && Contains("accepted: a list like 1,2,4"));
  }
  CHECK_THAT(usage_message([] { fa::parse_int_axis("--batch", "5:1:x2"); }),
             Contains("--batch: '5:1:x2'") && Contains("start 5 is above stop 1"));
  CHECK_THAT(usage_message([] { fa::parse_int_axis("--batch", "1:8:x1"); }), Contains("factor must be at least 2"));
  CHECK_THAT(usage_message([] { fa::parse_int_axis("--batch", "0"); }), Contains("must be positive"));
  CHECK_THAT(usage_message([] { fa::parse_int_axis("--batch", "1,,2"); }), Contains("empty item"));
}

TEST_CASE("real axes accept lists and ranges and snap float steps to the written values", "[sweep]") {
  using R = std::vector<double>;
  CHECK(fa::parse_real_axis("--dropout", "0,0.1", 0, 1) == R{0.0, 0.1});
  // 0.1 * 3 is 0.30000000000000004 in binary; the generated values must equal the literals.
  CHECK(fa::parse_real_axis("--dropout", "0:0.3:+0.1", 0, 1) == R{0.0, 0.1, 0.2, 0.3});
  CHECK(fa::parse_real_axis("--density", "0.1:0.8:x2", 0, 1, fa::Interval::open_closed) == R{0.1, 0.2, 0.4, 0.8});
  CHECK(fa::parse_real_axis("--density", "0.25:1:+0.25", 0, 1, fa::Interval::open_closed) ==
        R{0.25, 0.5, 0.75, 1.0});
  CHECK(fa::parse_real_axis("--dropout", "0.1,0:0.2:+0.1", 0, 1) == R{0.1, 0.0, 0.2});
}

TEST_CASE("real axes check their interval and syntax", "[sweep]") {
  const std::vector<std::string> bad_dropout = {"1", "-0.1", "nan", "inf", "0.5:0.1:+0.1", "0:0.3:+0",
                                                "0:0.3:x2", "abc", "", "0:1:+0.25", "0.1,,0.2"};
  for (const auto& spec : bad_dropout) {
    INFO("spec: '" << spec << "'");
    CHECK_THAT(usage_message([&] { fa::parse_real_axis("--dropout", spec, 0, 1); }),
               Contains("--dropout: '") && Contains("[0, 1)"));
  }
  CHECK_THAT(usage_message([] { fa::parse_real_axis("--density", "0", 0, 1, fa::Interval::open_closed); }),
             Contains("--density") && Contains("(0, 1]"));
  CHECK(fa::parse_real_axis("--density", "1", 0, 1, fa::Interval::open_closed) == std::vector<double>{1.0});
}

TEST_CASE("word axes validate against the accepted set and expand all", "[sweep]") {
  const std::vector<std::string> accepted = {"a", "b", "c"};
  using W = std::vector<std::string>;
  CHECK(fa::parse_word_axis("--kernel", "a,c", accepted) == W{"a", "c"});
  CHECK(fa::parse_word_axis("--kernel", "all", accepted) == W{"a", "b", "c"});
  CHECK(fa::parse_word_axis("--kernel", "c,all", accepted) == W{"c", "a", "b"});
  CHECK(fa::parse_word_axis("--kernel", "b,b", accepted) == W{"b"});
  CHECK(usage_message([&] { fa::parse_word_axis("--kernel", "a,d", accepted); }) ==
        "--kernel: 'd' is not a valid value (accepted: a, b, c, all)");
}

TEST_CASE("boolean axes accept every documented spelling", "[sweep]") {
  using B = std::vector<bool>;
  CHECK(fa::parse_bool_axis("--causal", "0,1") == B{false, true});
  CHECK(fa::parse_bool_axis("--causal", "false,true") == B{false, true});
  CHECK(fa::parse_bool_axis("--causal", "no,yes") == B{false, true});
  CHECK(fa::parse_bool_axis("--causal", "off,on") == B{false, true});
  CHECK(fa::parse_bool_axis("--causal", "both") == B{false, true});
  CHECK(fa::parse_bool_axis("--causal", "1,0") == B{true, false});
  CHECK(fa::parse_bool_axis("--causal", "yes,1,true") == B{true});
  CHECK_THAT(usage_message([] { fa::parse_bool_axis("--causal", "maybe"); }),
             Contains("--causal: 'maybe'") && Contains("both"));
}

TEST_CASE("set_axis parses every axis into its field", "[sweep]") {
  fa::SweepSpec s;
  s.known_kernels = {"reference", "standard", "flash", "block_sparse"};
  fa::set_axis(s, "kernel", "flash,standard");
  CHECK(s.kernels == std::vector<std::string>{"flash", "standard"});
  fa::set_axis(s, "kernel", "all");
  CHECK(s.kernels == s.known_kernels);
  fa::set_axis(s, "pass", "fwd,both,backward");
  CHECK(s.passes == std::vector<fa::Pass>{fa::Pass::fwd, fa::Pass::fwdbwd, fa::Pass::bwd});
  fa::set_axis(s, "batch", "1,2");
  CHECK(s.batch == I64s{1, 2});
  fa::set_axis(s, "heads", "16");
  CHECK(s.heads == I64s{16});
  fa::set_axis(s, "seqlen", "256:1024:x2");
  CHECK(s.seqlen == I64s{256, 512, 1024});
  fa::set_axis(s, "seqlen-kv", "4096");
  CHECK(s.seqlen_kv == I64s{4096});
  fa::set_axis(s, "seqlen-kv", "same");
  CHECK(s.seqlen_kv.empty());
  fa::set_axis(s, "head_dim", "64,128");  // '_' spelling, as JSON keys tend to use
  CHECK(s.head_dim == I64s{64, 128});
  fa::set_axis(s, "dtype", "bf16,half,fp16");
  CHECK(s.dtypes == std::vector<fa::DType>{fa::DType::bf16, fa::DType::fp16});
  fa::set_axis(s, "dropout", "0,0.1");
  CHECK(s.dropout == std::vector<double>{0.0, 0.1});
  fa::set_axis(s, "causal", "both");
  CHECK(s.causal == std::vector<bool>{false, true});
  fa::set_axis(s, "sparsity", "dense,local");
  CHECK(s.sparsity == std::vector<std::string>{"dense", "local"});
  fa::set_axis(s, "density", "0.25,0.5");
  CHECK(s.density == std::vector<double>{0.25, 0.5});
  fa::set_axis(s, "block", "64x128");
  CHECK((s.block_q == 64 && s.block_k == 128));
  fa::set_axis(s, "block", "32");
  CHECK((s.block_q == 32 && s.block_k == 32));
  fa::set_axis(s, "layout", "bnhd");
  CHECK(s.layout == fa::Layout::bnhd);
  fa::set_axis(s, "scale", "0.125");
  CHECK(s.softmax_scale == 0.125);
  fa::set_axis(s, "seed", "0x10");
  CHECK(s.seed == 16u);
  fa::set_axis(s, "seed", "18446744073709551615");
  CHECK(s.seed == 18446744073709551615ull);
  fa::set_axis(s, "tokens", "16384");
  CHECK(s.tokens == std::optional<std::int64_t>(16384));
  fa::set_axis(s, "tokens", "none");
  CHECK(!s.tokens.has_value());
  fa::set_axis(s, "hidden", "2048");
  CHECK(s.hidden == std::optional<std::int64_t>(2048));
}

TEST_CASE("set_axis errors name the flag and list what is accepted", "[sweep]") {
  fa::SweepSpec s;
  s.known_kernels = {"reference", "flash"};
  struct Bad {
    const char* axis;
    const char* value;
    const char* expect;
  };
  const std::vector<Bad> bad = {
      {"dtype", "fp12", "--dtype: 'fp12' is not a valid value (accepted: fp32, fp16, bf16, fp8, all)"},
      {"kernel", "flsh", "--kernel: 'flsh' is not a valid value (accepted: reference, flash, all)"},
      {"pass", "sideways", "--pass: 'sideways'"},
      {"sparsity", "diagonal", "butterfly"},
      {"seqlen", "abc", "--seqlen: 'abc'"},
      {"seqlen-kv", "0", "--seqlen-kv: '0'"},
      {"head-dim", "-64", "--head-dim: '-64'"},
      {"causal", "2", "--causal: '2'"},
      {"dropout", "1.0", "--dropout: '1.0'"},
      {"density", "0", "--density: '0'"},
      {"block", "0x64", "--block: '0x64'"},
      {"block", "64x", "--block: '64x'"},
      {"block", "64,128", "--block: '64,128'"},
      {"layout", "nhd", "--layout: 'nhd' is not a valid value (accepted: bhnd, bnhd)"},
      {"scale", "-1", "--scale: '-1'"},
      {"seed", "0xfoo", "--seed: '0xfoo'"},
      {"tokens", "0", "--tokens: '0'"},
      {"hidden", "1,2", "--hidden: '1,2'"},
  };
  for (const auto& b : bad) {
    INFO(b.axis << " = '" << b.value << "'");
    CHECK_THAT(usage_message([&] { fa::set_axis(s, b.axis, b.value); }), Contains(b.expect));
  }
  CHECK_THAT(usage_message([&] { fa::set_axis(s, "seqlen_q", "1"); }),
             Contains("unknown sweep axis 'seqlen_q'") && Contains("seqlen-kv") && Contains("hidden"));
  // Without a kernel catalogue, names pass through unchecked but "all" cannot be resolved.
  fa::SweepSpec open;
  fa::set_axis(open, "kernel", "anything,flash");
  CHECK(open.kernels == std::vector<std::string>{"anything", "flash"});
  CHECK_THAT(usage_message([&] { fa::set_axis(open, "kernel", "all"); }), Contains("--kernel: 'all'"));
}

TEST_CASE("the axis list for help text covers every settable axis", "[sweep]") {
  const auto names = fa::sweep_axis_names();
  REQUIRE(names.size() == 20);
  fa::SweepSpec s;
  s.known_kernels = {"flash"};
  for (const auto& a : fa::sweep_axes()) {
    INFO(a.name);
    CHECK(fa::is_sweep_axis(a.name));
    CHECK(!a.help.empty());
    // Every listed name is accepted by set_axis: only a value error may follow, never "unknown axis".
    try {
      fa::set_axis(s, a.name, "@");
      FAIL("'@' should not be a valid value for any axis");
    } catch (const fa::UsageError& e) {
      CHECK_THAT(std::string(e.what()), Contains("--" + std::string(a.name) + ": '"));
    }
  }
  CHECK(!fa::is_sweep_axis("seqlen_q"));
}
