#include "core/dtype.hpp"

#include <cmath>
#include <cstring>

namespace fa {

std::string_view to_string(DType d) {
  switch (d) {
    case DType::fp32: return "fp32";
    case DType::fp16: return "fp16";
    case DType::bf16: return "bf16";
  }
  return "?";
}

std::optional<DType> parse_dtype(std::string_view s) {
  if (s == "fp32" || s == "float32") return DType::fp32;
  if (s == "fp16" || s == "float16" || s == "half") return DType::fp16;
  if (s == "bf16" || s == "bfloat16") return DType::bf16;
  return std::nullopt;
}

std::size_t dtype_bytes(DType d) { return d == DType::fp32 ? 4 : 2; }

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

double round_to_dtype(DType d, double x) {
  const float f = static_cast<float>(x);
  switch (d) {
    case DType::fp32: return f;
    case DType::fp16: return half_bits_to_float(float_to_half_bits(f));
    case DType::bf16: return bf16_bits_to_float(float_to_bf16_bits(f));
  }
  return x;
}

void store_element(DType d, void* base, std::size_t i, double x) {
  switch (d) {
    case DType::fp32: static_cast<float*>(base)[i] = static_cast<float>(x); return;
    case DType::fp16: static_cast<std::uint16_t*>(base)[i] = float_to_half_bits(static_cast<float>(x)); return;
    case DType::bf16: static_cast<std::uint16_t*>(base)[i] = float_to_bf16_bits(static_cast<float>(x)); return;
  }
}

double load_element(DType d, const void* base, std::size_t i) {
  switch (d) {
    case DType::fp32: return static_cast<const float*>(base)[i];
    case DType::fp16: return half_bits_to_float(static_cast<const std::uint16_t*>(base)[i]);
    case DType::bf16: return bf16_bits_to_float(static_cast<const std::uint16_t*>(base)[i]);
  }
  return 0.0;
}

}  // namespace fa
