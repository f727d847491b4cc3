// core/dtype.cpp: fp16/bf16 conversions. Decoding is checked against a formula over all 65,536
// bit patterns; encoding against round-to-nearest-even at every tie point between neighbouring
// representable values (exact in float), plus subnormals, overflow, infinities and NaN.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "core/dtype.hpp"

using namespace fa;

namespace {

float f_of(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// IEEE binary16 / bfloat16 value of a bit pattern, from the textbook formula.
double decode(std::uint16_t bits, int exp_bits, int man_bits) {
  const int bias = (1 << (exp_bits - 1)) - 1;
  const int e = (bits >> man_bits) & ((1 << exp_bits) - 1);
  const int m = bits & ((1 << man_bits) - 1);
  const double sign = (bits >> 15) ? -1.0 : 1.0;
  if (e == (1 << exp_bits) - 1) return m ? std::numeric_limits<double>::quiet_NaN() : sign * INFINITY;
  if (e == 0) return sign * std::ldexp(m, 1 - bias - man_bits);
  return sign * std::ldexp(1.0 + std::ldexp(m, -man_bits), e - bias);
}
double decode_half(std::uint16_t b) { return decode(b, 5, 10); }
double decode_bf16(std::uint16_t b) { return decode(b, 8, 7); }

bool is_half_nan(std::uint16_t h) { return (h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0; }
bool is_bf16_nan(std::uint16_t b) { return (b & 0x7f80u) == 0x7f80u && (b & 0x7fu) != 0; }

// For every pair of neighbouring non-negative finite values (lo, lo+1): the midpoint rounds to
// the even one of the two, and one float ulp either side rounds to the nearer. The midpoint is
// exact in float because both formats have far fewer significant bits than float's 24.
template <class Enc, class Dec>
void check_ties(std::uint16_t last_finite, Enc enc, Dec dec) {
  for (std::uint32_t lo = 0; lo <= last_finite; ++lo) {
    const auto a = static_cast<std::uint16_t>(lo), b = static_cast<std::uint16_t>(lo + 1);
    const double va = dec(a), vb = lo + 1 <= last_finite ? dec(b) : 2 * va - dec(static_cast<std::uint16_t>(lo - 1));
    const float mid = static_cast<float>((va + vb) / 2);
    REQUIRE(static_cast<double>(mid) == (va + vb) / 2);
    const std::uint16_t even = (a & 1u) ? b : a;
    INFO(std::hex << "lo=" << lo);
    for (std::uint16_t sign : {std::uint16_t{0}, std::uint16_t{0x8000}}) {
      const float s = sign ? -1.0f : 1.0f;
      REQUIRE(enc(s * mid) == (even | sign));
      REQUIRE(enc(s * std::nextafter(mid, 0.0f)) == (a | sign));
      REQUIRE(enc(s * std::nextafter(mid, INFINITY)) == (b | sign));
      REQUIRE(enc(s * static_cast<float>(va)) == (a | sign));
    }
  }
}

}  // namespace

TEST_CASE("fp16/bf16 decoding matches the IEEE formula for every bit pattern", "[core]") {
  for (std::uint32_t u = 0; u < 65536; ++u) {
    const auto h = static_cast<std::uint16_t>(u);
    INFO(std::hex << "bits=" << u);
    if (is_half_nan(h)) {
      REQUIRE(std::isnan(half_bits_to_float(h)));
      REQUIRE(is_half_nan(float_to_half_bits(half_bits_to_float(h))));
    } else {
      REQUIRE(static_cast<double>(half_bits_to_float(h)) == decode_half(h));
      REQUIRE(float_to_half_bits(half_bits_to_float(h)) == h);  // round trip, incl. -0, subnormals, inf
    }
    if (is_bf16_nan(h)) {
      REQUIRE(std::isnan(bf16_bits_to_float(h)));
      REQUIRE(is_bf16_nan(float_to_bf16_bits(bf16_bits_to_float(h))));
    } else {
      REQUIRE(static_cast<double>(bf16_bits_to_float(h)) == decode_bf16(h));
      REQUIRE(float_to_bf16_bits(bf16_bits_to_float(h)) == h);
    }
  }
}

TEST_CASE("fp16 encoding rounds to nearest even, including subnormals and overflow", "[core]") {
  // 0x7bff = 65504 is the largest finite half; its tie with the next step (65520) goes to inf.
  check_ties(0x7bff, float_to_half_bits, [](std::uint16_t b) { return decode_half(b); });
  CHECK(float_to_half_bits(1.0f) == 0x3c00);
  CHECK(float_to_half_bits(65504.0f) == 0x7bff);
  CHECK(float_to_half_bits(65519.996f) == 0x7bff);
  CHECK(float_to_half_bits(65520.0f) == 0x7c00);
  CHECK(float_to_half_bits(1e6f) == 0x7c00);
  CHECK(float_to_half_bits(-1e30f) == 0xfc00);
  CHECK(float_to_half_bits(INFINITY) == 0x7c00);
  CHECK(float_to_half_bits(-INFINITY) == 0xfc00);
  CHECK(float_to_half_bits(-0.0f) == 0x8000);
  CHECK(float_to_half_bits(std::ldexp(1.0f, -24)) == 0x0001);   // smallest subnormal
  CHECK(float_to_half_bits(std::ldexp(1.0f, -25)) == 0x0000);   // tie with 0 -> even (0)
  CHECK(float_to_half_bits(std::ldexp(3.0f, -25)) == 0x0002);   // tie 1|2 -> even (2)
  CHECK(float_to_half_bits(std::ldexp(1.0f, -26)) == 0x0000);   // underflow
  CHECK(float_to_half_bits(std::ldexp(1.0f, -14)) == 0x0400);   // smallest normal
  CHECK(float_to_half_bits(std::ldexp(2047.0f, -25)) == 0x0400);  // tie 0x3ff|0x400 -> even
  CHECK(float_to_half_bits(1e-30f) == 0x0000);
  CHECK(is_half_nan(float_to_half_bits(std::numeric_limits<float>::quiet_NaN())));
  CHECK(is_half_nan(float_to_half_bits(f_of(0x7f800001u))));  // payload only in low bits: still NaN
  CHECK(is_half_nan(float_to_half_bits(f_of(0xffc00000u))));
}

TEST_CASE("bf16 encoding rounds to nearest even, including subnormals and overflow", "[core]") {
  check_ties(0x7f7f, float_to_bf16_bits, [](std::uint16_t b) { return decode_bf16(b); });
  CHECK(float_to_bf16_bits(1.0f) == 0x3f80);
  CHECK(float_to_bf16_bits(std::numeric_limits<float>::max()) == 0x7f80);  // above the last tie: inf
  CHECK(float_to_bf16_bits(-std::numeric_limits<float>::max()) == 0xff80);
  CHECK(float_to_bf16_bits(f_of(0x7f7f7fffu)) == 0x7f7f);                  // just below it: finite
  CHECK(float_to_bf16_bits(f_of(0x00018000u)) == 0x0002);                  // subnormal tie 1|2 -> 2
  CHECK(float_to_bf16_bits(f_of(0x00008000u)) == 0x0000);                  // subnormal tie 0|1 -> 0
  CHECK(float_to_bf16_bits(INFINITY) == 0x7f80);
  CHECK(float_to_bf16_bits(-0.0f) == 0x8000);
  CHECK(is_bf16_nan(float_to_bf16_bits(std::numeric_limits<float>::quiet_NaN())));
  CHECK(is_bf16_nan(float_to_bf16_bits(f_of(0x7f800001u))));  // must not collapse to inf
  CHECK(is_bf16_nan(float_to_bf16_bits(f_of(0xff800001u))));
}

TEST_CASE("round_to_dtype agrees with store/load and is the nearest value", "[core]") {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> dist(0.0, 10.0);
  std::vector<std::uint16_t> buf16(1);
  std::vector<float> buf32(1);
  for (int n = 0; n < 20000; ++n) {
    const double x = dist(rng) * std::ldexp(1.0, static_cast<int>(rng() % 40) - 20);
    for (DType d : {DType::fp32, DType::fp16, DType::bf16}) {
      void* base = d == DType::fp32 ? static_cast<void*>(buf32.data()) : static_cast<void*>(buf16.data());
      store_element(d, base, 0, x);
      const double r = round_to_dtype(d, x);
      REQUIRE(load_element(d, base, 0) == r);
      if (std::isinf(r)) continue;  // overflow is checked above
      // Within half an ulp of the format (half a subnormal step near zero). fp16/bf16 go through
      // float first (double rounding), which may add up to float's own half ulp.
      const double half_ulp = d == DType::fp32 ? 0x1p-24 : d == DType::fp16 ? 0x1p-11 : 0x1p-8;
      const double sub_step = d == DType::fp16 ? 0x1p-24 : 0x1p-149;
      const double via_float = d == DType::fp32 ? 0.0 : 0x1p-24 * std::abs(x);
      REQUIRE(std::abs(r - x) <= std::max(half_ulp * std::abs(x), sub_step / 2) + via_float);
    }
  }
  CHECK(dtype_bytes(DType::fp32) == 4);
  CHECK(dtype_bytes(DType::fp16) == 2);
  CHECK(dtype_bytes(DType::bf16) == 2);
  CHECK(parse_dtype("bfloat16") == DType::bf16);
  CHECK(!parse_dtype("fp12").has_value());
}
