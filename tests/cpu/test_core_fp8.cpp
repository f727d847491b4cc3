// fp8 (E4M3) in core/dtype and its per-tensor quantization in measure/operands: decoding against the
// OCP formula for all 256 patterns, encoding rounds to nearest even and saturates, the scale maps amax
// into (224, 448], and the host inputs the reference sees are exactly what the kernel is given.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>

#include "core/dtype.hpp"
#include "core/kernel.hpp"
#include "measure/operands.hpp"

using namespace fa;

namespace {

// OCP E4M3 value of a bit pattern: bias 7, subnormals m * 2^-9, S.1111.111 NaN, no infinities.
double decode_e4m3(std::uint8_t b) {
  const int e = (b >> 3) & 15, m = b & 7;
  const double sign = (b & 0x80) ? -1.0 : 1.0;
  if (e == 15 && m == 7) return std::numeric_limits<double>::quiet_NaN();
  if (e == 0) return sign * std::ldexp(m, -9);
  return sign * std::ldexp(1.0 + m / 8.0, e - 7);
}

}  // namespace

TEST_CASE("e4m3 decoding matches the OCP formula for every bit pattern", "[core][fp8]") {
  for (int b = 0; b < 256; ++b) {
    const double want = decode_e4m3(static_cast<std::uint8_t>(b));
    const float got = e4m3_bits_to_float(static_cast<std::uint8_t>(b));
    INFO("bits " << b);
    if (std::isnan(want)) {
      CHECK(std::isnan(got));
    } else {
      CHECK(static_cast<double>(got) == want);
    }
  }
  CHECK(e4m3_bits_to_float(0x7e) == 448.0f);
  CHECK(e4m3_bits_to_float(0x01) == std::ldexp(1.0f, -9));
}

TEST_CASE("e4m3 encoding: exact values round-trip, ties go to even, overflow saturates", "[core][fp8]") {
  for (int b = 0; b < 256; ++b) {
    const float v = e4m3_bits_to_float(static_cast<std::uint8_t>(b));
    if (std::isnan(v) || (b == 0x80)) continue;  // -0 encodes as 0x80 too, checked below
    CHECK(float_to_e4m3_bits(v) == b);
  }
  CHECK(float_to_e4m3_bits(-0.0f) == 0x80);
  // Ties between neighbours lo, lo + 1 (non-negative, finite): the midpoint goes to the even pattern,
  // a little either side to the nearer one.
  for (int lo = 0; lo < 0x7e; ++lo) {
    const double a = decode_e4m3(static_cast<std::uint8_t>(lo)), c = decode_e4m3(static_cast<std::uint8_t>(lo + 1));
    const double mid = (a + c) / 2;
    INFO("lo " << lo);
    CHECK(float_to_e4m3_bits(static_cast<float>(mid)) == ((lo & 1) ? lo + 1 : lo));
    CHECK(float_to_e4m3_bits(static_cast<float>(mid - (c - a) / 8)) == lo);
    CHECK(float_to_e4m3_bits(static_cast<float>(mid + (c - a) / 8)) == lo + 1);
  }
  CHECK(float_to_e4m3_bits(460.0f) == 0x7e);
  CHECK(float_to_e4m3_bits(1e30f) == 0x7e);
  CHECK(float_to_e4m3_bits(-1e30f) == 0xfe);
  CHECK(float_to_e4m3_bits(std::ldexp(1.0f, -11)) == 0);  // below half the smallest subnormal
  CHECK((float_to_e4m3_bits(std::numeric_limits<float>::quiet_NaN()) & 0x7f) == 0x7f);
  CHECK(round_to_dtype(DType::fp8, 0.3) == 0.3125);
}

TEST_CASE("fp8 dtype: name, sizes, output type, quantization scale", "[core][fp8]") {
  CHECK(parse_dtype("fp8") == DType::fp8);
  CHECK(parse_dtype("e4m3") == DType::fp8);
  CHECK(to_string(DType::fp8) == "fp8");
  CHECK(dtype_bytes(DType::fp8) == 1);
  CHECK(output_dtype(DType::fp8) == DType::bf16);
  CHECK(output_bytes(DType::fp8) == 2);
  CHECK(output_dtype(DType::fp16) == DType::fp16);
  for (double amax : {1e-6, 0.37, 1.0, 3.5, 4.2, 447.9, 448.0, 1e5}) {
    const double s = fp8_scale_for_amax(amax);
    INFO("amax " << amax);
    CHECK(amax * s > 224.0);
    CHECK(amax * s <= 448.0);
    int e = 0;
    CHECK(std::frexp(s, &e) == 0.5);  // a power of two
  }
  CHECK(fp8_scale_for_amax(0.0) == 1.0);
}

TEST_CASE("fp8 host inputs: per-tensor power-of-two scales, dequantized values on the e4m3 grid", "[core][fp8]") {
  Problem p;
  p.batch = 1;
  p.heads = 2;
  p.seqlen_q = 33;
  p.seqlen_kv = 47;
  p.head_dim = 16;
  p.dtype = DType::fp8;
  const HostInputs in = make_host_inputs(p, Pass::fwd, 0.5, 7);
  auto check_tensor = [](const std::vector<double>& x, float descale) {
    double amax = 0;
    for (double e : x) {
      const double q = e / descale;  // the e4m3 value the kernel gets
      REQUIRE(round_to_dtype(DType::fp8, q) == q);
      amax = std::max(amax, std::fabs(q));
    }
    CHECK(amax > 224.0);
    CHECK(amax <= 448.0);
  };
  check_tensor(in.q, in.q_descale);
  check_tensor(in.k, in.k_descale);
  check_tensor(in.v, in.v_descale);
  CHECK(in.q_descale != 1.f);
  const HostInputs bf = make_host_inputs([&] { Problem b = p; b.dtype = DType::bf16; return b; }(), Pass::fwd, 0.5, 7);
  CHECK(bf.q_descale == 1.f);
}

TEST_CASE("fp8 refusals: forward only, no dropout, and a family without a path names itself", "[core][fp8]") {
  Problem p;
  p.dtype = DType::fp8;
  CHECK(refuse_fp8_pass(p, Pass::fwd).ok);
  CHECK_FALSE(refuse_fp8_pass(p, Pass::bwd).ok);
  CHECK_FALSE(refuse_fp8_pass(p, Pass::fwdbwd).ok);
  CHECK(refuse_fp8("standard", p).reason.rfind("standard: no fp8 path", 0) == 0);
  p.dropout = 0.1;
  CHECK(refuse_fp8_pass(p, Pass::fwd).reason.find("dropout") != std::string::npos);
  p.dtype = DType::bf16;
  CHECK(refuse_fp8("standard", p).ok);
  CHECK(refuse_fp8_pass(p, Pass::bwd).ok);
}
