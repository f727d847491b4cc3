#pragma once
// Parsers for the value of one sweep axis, shared by command-line flags and sweep files so that
// both accept the same syntax and report errors the same way: every error is a fa::UsageError
// whose message starts with the flag ("--seqlen: ...") and lists the accepted forms.
//
// Integer axes:  1,2,4            a list
//                512:16384:x2     geometric range start:stop:xFACTOR (FACTOR >= 2, stop kept when hit)
//                64:256:+64       arithmetic range start:stop:+STEP (STEP >= 1, stop kept when hit)
//                128,512:2048:x2  any comma-separated mixture of the above
// Real axes:     the same forms with real numbers (0,0.1 / 0:0.3:+0.1 / 0.05:0.8:x2); a range end
//                that is missed by floating-point noise alone (0.1 * 3 != 0.3) still counts as hit.
// Word axes:     a comma-separated list of names from an accepted set; "all" means the whole set.
// Boolean axes:  0, 1, false, true, no, yes, off, on, or "both" (= false,true).
// Every list keeps the order it was written in and drops repeated values.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/errors.hpp"

namespace fa {

// Upper bound on the number of values one axis may expand to: catches typos such as
// 1:1000000000:+1 before they allocate gigabytes.
inline constexpr std::size_t kMaxAxisValues = 100000;

// Human-readable description of the integer syntax, used in error messages and help text.
inline constexpr std::string_view kIntAxisForms =
    "a list like 1,2,4, a range start:stop:xF or start:stop:+S of positive integers";
inline constexpr std::string_view kRealAxisForms = "a list like 0,0.1, a range start:stop:+S or start:stop:xF";
inline constexpr std::string_view kBoolAxisForms = "0, 1, false, true, no, yes, off, on, both";

std::vector<std::int64_t> parse_int_axis(std::string_view flag, std::string_view spec);

// Which ends of [lo, hi] a real axis accepts.
enum class Interval : std::uint8_t {
  closed_open,  // [lo, hi)  e.g. dropout probability
  open_closed,  // (lo, hi]  e.g. block density
  closed,       // [lo, hi]
};
std::vector<double> parse_real_axis(std::string_view flag, std::string_view spec, double lo, double hi,
                                    Interval interval = Interval::closed_open);

// Each word must be one of `accepted` (exact match); "all" expands to `accepted` in its order.
std::vector<std::string> parse_word_axis(std::string_view flag, std::string_view spec,
                                         const std::vector<std::string>& accepted);

// Returns the distinct values in written order: "both" and "1,0" give {false, true} and {true, false}.
std::vector<bool> parse_bool_axis(std::string_view flag, std::string_view spec);

// Single-value helpers for the scalar settings (block size, scale, seed, constraints).
std::int64_t parse_positive_int(std::string_view flag, std::string_view value);
// Decimal or 0x-prefixed hexadecimal, the full 64-bit range.
std::uint64_t parse_u64(std::string_view flag, std::string_view value);
double parse_real(std::string_view flag, std::string_view value, double lo, double hi,
                  Interval interval = Interval::closed);

// "--seqlen: '5:1:x2' is not a valid value: start 5 is above stop 1 (accepted: ...)"; reason may be empty.
UsageError axis_error(std::string_view flag, std::string_view item, std::string_view reason,
                      std::string_view accepted);

// Splits on commas and trims blanks around each item; throws UsageError (naming flag) on an empty
// item or an empty spec.
std::vector<std::string_view> split_axis_items(std::string_view flag, std::string_view spec,
                                               std::string_view accepted);

}  // namespace fa
