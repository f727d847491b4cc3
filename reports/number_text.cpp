#include "reports/number_text.hpp"

#include <charconv>
#include <cmath>

namespace fa {

std::string round_trip_text(double x) {
  if (std::isnan(x)) return "nan";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, x);
  return std::string(buf, res.ptr);
}

namespace {
template <class T>
std::optional<T> parse_whole(std::string_view s) {
  if (s.empty()) return std::nullopt;
  T v{};
  const auto res = std::from_chars(s.data(), s.data() + s.size(), v);
  if (res.ec != std::errc() || res.ptr != s.data() + s.size()) return std::nullopt;
  return v;
}
}  // namespace

std::optional<double> parse_double_text(std::string_view s) {
  // from_chars rejects a leading '+', which some spreadsheet tools write.
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  return parse_whole<double>(s);
}

std::optional<std::int64_t> parse_int64_text(std::string_view s) { return parse_whole<std::int64_t>(s); }
std::optional<std::uint64_t> parse_uint64_text(std::string_view s) { return parse_whole<std::uint64_t>(s); }

std::optional<bool> parse_bool_text(std::string_view s) {
  if (s == "true" || s == "True" || s == "TRUE" || s == "1") return true;
  if (s == "false" || s == "False" || s == "FALSE" || s == "0") return false;
  return std::nullopt;
}

}  // namespace fa
