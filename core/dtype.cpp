#include "core/dtype.hpp"

#include <cmath>
#include <cstring>
#include <limits>

namespace fa {

std::string_view to_string(DType d) {
  switch (d) {
    case DType::fp32: return "fp32";
    case DType::fp16: return "fp16";
    case DType::bf16: return "bf16";
    case DType::fp8: return "fp8";
  }
  return "?";
}

std::optional<DType> parse_dtype(std::string_view s) {
  if (s == "fp32" || s == "float32") return DType::fp32;
  if (s == "fp16" || s == "float16" || s == "half") return DType::fp16;
  if (s == "bf16" || s == "bfloat16") return DType::bf16;
  if (s == "fp8" || s == "e4m3" || s == "fp8_e4m3") return DType::fp8;
  return std::nullopt;
}

std::size_t dtype_bytes(DType d) {
  switch (d) {
    case DType::fp32: return 4;
    case DType::fp8: return 1;
    default: return 2;
  }
}

DType output_dtype(DType d) { return d == DType::fp8 ? DType::bf16 : d; }

double fp8_scale_for_amax(double amax) {
  if (!(amax > 0) || !std::isfinite(amax)) return 1.0;
  // The largest power of two s with amax * s <= 448: amax * s lands in (224, 448].
  int e = 0;
  std::frexp(kE4m3Max / amax, &e);  // 448 / amax = f * 2^e, f in [0.5, 1)
  return std::ldexp(1.0, e - 1);
}

namespace {
std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
float float_of(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
}  // namespace

std::uint16_t float_to_half_bits(float f) {
  const std::uint32_t x = bits_of(f);
  const std::uint32_t sign = (x >> 16) & 0x8000u;
  const std::uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) {  // inf or nan
    return static_cast<std::uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  }
  if (abs >= 0x477ff000u) return static_cast<std::uint16_t>(sign | 0x7c00u);  // overflow -> inf
  if (abs < 0x38800000u) {  // subnormal half (or zero): value = m * 2^-24
    const float a = float_of(abs);
    const float scaled = a * 16777216.0f;  // 2^24, exact
    const auto m = static_cast<std::uint32_t>(std::nearbyint(scaled));  // ties-to-even (default mode)
    return static_cast<std::uint16_t>(sign | m);
  }
  // Normal: rebias exponent, round mantissa 23 -> 10 bits to nearest even.
  std::uint32_t r = abs - 0x38000000u;  // exponent bias 127 -> 15
  const std::uint32_t lsb = (r >> 13) & 1u;
  r += 0xfffu + lsb;
  return static_cast<std::uint16_t>(sign | (r >> 13));
}

float half_bits_to_float(std::uint16_t h) {
  const std::uint32_t sign = (static_cast<std::uint32_t>(h) & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1fu;
  const std::uint32_t man = h & 0x3ffu;
  if (exp == 0) {
    const float v = std::ldexp(static_cast<float>(man), -24);
    return sign ? -v : v;
  }
  if (exp == 31) return float_of(sign | 0x7f800000u | (man << 13));
  return float_of(sign | ((exp + 112u) << 23) | (man << 13));
}

std::uint16_t float_to_bf16_bits(float f) {
  const std::uint32_t x = bits_of(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<std::uint16_t>((x >> 16) | 0x40u);  // quiet nan
  const std::uint32_t lsb = (x >> 16) & 1u;
  return static_cast<std::uint16_t>((x + 0x7fffu + lsb) >> 16);
}

float bf16_bits_to_float(std::uint16_t b) { return float_of(static_cast<std::uint32_t>(b) << 16); }

std::uint8_t float_to_e4m3_bits(float f) {
  const std::uint8_t sign = std::signbit(f) ? 0x80u : 0u;
  if (std::isnan(f)) return static_cast<std::uint8_t>(sign | 0x7fu);
  const double a = std::fabs(static_cast<double>(f));
  if (a < 0.015625) {  // below the smallest normal 2^-6: subnormal m * 2^-9 (m = 8 is 2^-6 itself)
    return static_cast<std::uint8_t>(sign | static_cast<std::uint32_t>(std::nearbyint(a * 512.0)));
  }
  int e = 0;
  std::frexp(a, &e);  // a = f * 2^e, f in [0.5, 1): unbiased exponent e - 1
  double q = std::nearbyint(std::ldexp(a, 4 - e));  // 1.mmm scaled to [8, 16], ties to even
  if (q == 16.0) {
    q = 8.0;
    ++e;
  }
  const int biased = e - 1 + 7;
  if (biased > 15 || (biased == 15 && q > 14.0)) return static_cast<std::uint8_t>(sign | 0x7eu);  // saturate: 448
  return static_cast<std::uint8_t>(sign | (biased << 3) | (static_cast<int>(q) - 8));
}

float e4m3_bits_to_float(std::uint8_t b) {
  const int exp = (b >> 3) & 0xf, man = b & 7;
  if (exp == 15 && man == 7) return std::numeric_limits<float>::quiet_NaN();
  const double v = exp == 0 ? std::ldexp(man, -9) : std::ldexp(8 + man, exp - 10);
  return static_cast<float>((b & 0x80u) ? -v : v);
}

double round_to_dtype(DType d, double x) {
  const float f = static_cast<float>(x);
  switch (d) {
    case DType::fp32: return f;
    case DType::fp16: return half_bits_to_float(float_to_half_bits(f));
    case DType::bf16: return bf16_bits_to_float(float_to_bf16_bits(f));
    case DType::fp8: return e4m3_bits_to_float(float_to_e4m3_bits(f));
  }
  return x;
}

void store_element(DType d, void* base, std::size_t i, double x) {
  switch (d) {
    case DType::fp32: static_cast<float*>(base)[i] = static_cast<float>(x); return;
    case DType::fp16: static_cast<std::uint16_t*>(base)[i] = float_to_half_bits(static_cast<float>(x)); return;
    case DType::bf16: static_cast<std::uint16_t*>(base)[i] = float_to_bf16_bits(static_cast<float>(x)); return;
    case DType::fp8: static_cast<std::uint8_t*>(base)[i] = float_to_e4m3_bits(static_cast<float>(x)); return;
  }
}

double load_element(DType d, const void* base, std::size_t i) {
  switch (d) {
    case DType::fp32: return static_cast<const float*>(base)[i];
    case DType::fp16: return half_bits_to_float(static_cast<const std::uint16_t*>(base)[i]);
    case DType::bf16: return bf16_bits_to_float(static_cast<const std::uint16_t*>(base)[i]);
    case DType::fp8: return e4m3_bits_to_float(static_cast<const std::uint8_t*>(base)[i]);
  }
  return 0.0;
}

}  // namespace fa
