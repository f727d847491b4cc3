#pragma once
// Element types the sweep knows, their names on the command line and host-side rounding.
// Host code never needs CUDA headers to convert: fp16/bf16 bit patterns are produced here so
// the CPU reference sees exactly the values the GPU kernels read.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fa {

enum class DType : std::uint8_t { fp32, fp16, bf16 };

std::string_view to_string(DType d);
std::optional<DType> parse_dtype(std::string_view s);
inline constexpr std::string_view kDTypeNames = "fp32, fp16, bf16";
std::size_t dtype_bytes(DType d);

// Round-to-nearest-even conversions (host side).
std::uint16_t float_to_half_bits(float f);
float half_bits_to_float(std::uint16_t h);
std::uint16_t float_to_bf16_bits(float f);
float bf16_bits_to_float(std::uint16_t b);

// The value x becomes once stored in dtype d (what a kernel given d actually reads).
double round_to_dtype(DType d, double x);

// Store / load one element of type d at index i of raw storage.
void store_element(DType d, void* base, std::size_t i, double x);
double load_element(DType d, const void* base, std::size_t i);

}  // namespace fa
