#pragma once
// Numbers as text for result files: every value written must read back bit-for-bit, so doubles
// use the shortest representation that round-trips (std::to_chars) instead of a fixed precision.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fa {

// Shortest text that parses back to exactly x ("0.1", "1e+12", "nan", "inf", "-inf").
std::string round_trip_text(double x);

// Strict parsers: the whole text must be the number (no spaces, no trailing characters).
// Doubles also accept "nan", "inf", "-inf" (any case).
std::optional<double> parse_double_text(std::string_view s);
std::optional<std::int64_t> parse_int64_text(std::string_view s);
std::optional<std::uint64_t> parse_uint64_text(std::string_view s);
std::optional<bool> parse_bool_text(std::string_view s);  // true/false, True/False, 1/0

}  // namespace fa
