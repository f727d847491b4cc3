#pragma once
// Element types the sweep knows, their names on the command line and host-side rounding.
// Host code never needs CUDA headers to convert: fp16/bf16/e4m3 bit patterns are produced here so
// the CPU reference sees exactly the values the GPU kernels read.
//
// fp8 is FP8 attention as it is used in practice (FlashAttention-3, cuDNN): Q, K and V are OCP E4M3
// (1 byte) with one scale per tensor, the output O (and everything a backward would touch) is bf16,
// lse stays fp32. A tensor generated in float is quantized as e4m3(x * scale) with a power of two
// `scale` that maps the tensor's amax into (224, 448] (fp8_scale_for_amax); the kernel is given the
// descale 1 / scale of Q, K and V and multiplies it back. A power of two makes the round trip exact:
// the dequantized doubles the CPU reference computes on are exactly e4m3 value / scale.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fa {

enum class DType : std::uint8_t { fp32, fp16, bf16, fp8 };

std::string_view to_string(DType d);
std::optional<DType> parse_dtype(std::string_view s);
inline constexpr std::string_view kDTypeNames = "fp32, fp16, bf16, fp8";
// Bytes of one input element (Q, K, V; also dO and the gradients for the 16/32-bit types).
std::size_t dtype_bytes(DType d);
// The type of O (and of a backward's tensors): bf16 for fp8 inputs, else the inputs' own type.
DType output_dtype(DType d);
// Bytes of one O element.
inline std::size_t output_bytes(DType d) { return dtype_bytes(output_dtype(d)); }

// E4M3: largest finite value, and the per-tensor quantization scale for a tensor whose largest
// magnitude is `amax` (a power of two; 1 for amax 0 or not finite).
inline constexpr double kE4m3Max = 448.0;
double fp8_scale_for_amax(double amax);

// Round-to-nearest-even conversions (host side).
std::uint16_t float_to_half_bits(float f);
float half_bits_to_float(std::uint16_t h);
std::uint16_t float_to_bf16_bits(float f);
float bf16_bits_to_float(std::uint16_t b);
// OCP E4M3 (bias 7, no infinities, 0x7f/0xff NaN), round to nearest even, saturating to +-448.
std::uint8_t float_to_e4m3_bits(float f);
float e4m3_bits_to_float(std::uint8_t b);

// The value x becomes once stored in dtype d (what a kernel given d actually reads). For fp8 this
// is the e4m3 value nearest x itself, unscaled: quantization with a scale is the caller's (operands).
double round_to_dtype(DType d, double x);

// Store / load one element of type d at index i of raw storage (fp8: the e4m3 bits of x, unscaled).
void store_element(DType d, void* base, std::size_t i, double x);
double load_element(DType d, const void* base, std::size_t i);

}  // namespace fa
