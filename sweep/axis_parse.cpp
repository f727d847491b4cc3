#include "sweep/axis_parse.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <set>
#include <unordered_set>

namespace fa {

namespace {

std::string_view trim(std::string_view s) {
  constexpr std::string_view blanks = " \t\r\n";
  const auto b = s.find_first_not_of(blanks);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(blanks);
  return s.substr(b, e - b + 1);
}

std::string join(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) {
    if (!s.empty()) s += ", ";
    s += w;
  }
  return s;
}

std::string fmt_real(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

// Range steps such as +0.1 accumulate binary rounding noise (0.1 * 3 = 0.30000000000000004);
// 12 significant digits is far below any meaningful difference in dropout or density, and
// snapping makes the generated value equal to the one a user would type.
double snap_real(double x) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.12g", x);
  return std::strtod(buf, nullptr);
}

// Whole-string integer parse; nullopt-like failure is reported through `ok`.
bool to_int64(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  const auto* end = s.data() + s.size();
  const auto r = std::from_chars(s.data(), end, out);
  return r.ec == std::errc() && r.ptr == end;
}

bool to_double(std::string_view s, double& out) {
  if (s.empty()) return false;
  const auto* end = s.data() + s.size();
  const auto r = std::from_chars(s.data(), end, out, std::chars_format::general);
  return r.ec == std::errc() && r.ptr == end && std::isfinite(out);
}

// Splits "a:b:c" into exactly three parts, or returns false.
bool split_range(std::string_view item, std::string_view parts[3]) {
  std::size_t pos = 0;
  for (int i = 0; i < 3; ++i) {
    const auto colon = item.find(':', pos);
    if (i < 2) {
      if (colon == std::string_view::npos) return false;
      parts[i] = trim(item.substr(pos, colon - pos));
      pos = colon + 1;
    } else {
      if (colon != std::string_view::npos) return false;
      parts[i] = trim(item.substr(pos));
    }
  }
  return true;
}

class IntAxisBuilder {
 public:
  explicit IntAxisBuilder(std::string_view flag) : flag_(flag) {}

  void add(std::int64_t v, std::string_view item) {
    if (seen_.insert(v).second) {
      if (values_.size() >= kMaxAxisValues) {
        throw axis_error(flag_, item, "more than " + std::to_string(kMaxAxisValues) + " values", kIntAxisForms);
      }
      values_.push_back(v);
    }
  }
  std::vector<std::int64_t> take() { return std::move(values_); }

 private:
  std::string_view flag_;
  std::vector<std::int64_t> values_;
  std::unordered_set<std::int64_t> seen_;
};

std::int64_t positive_int_part(std::string_view flag, std::string_view item, std::string_view part,
                               std::string_view what) {
  std::int64_t v = 0;
  if (!to_int64(part, v)) {
    // A lone value needs no reason beyond the quoted item; a range part says which part is wrong.
    const bool whole = part.size() == item.size();
    throw axis_error(flag, item, whole ? "" : std::string(what) + " '" + std::string(part) + "' is not an integer",
                     kIntAxisForms);
  }
  if (v <= 0) {
    throw axis_error(flag, item, part.size() == item.size() ? "must be positive" : std::string(what) + " must be positive",
                     kIntAxisForms);
  }
  return v;
}

void add_int_range(std::string_view flag, std::string_view item, IntAxisBuilder& out) {
  std::string_view parts[3];
  if (!split_range(item, parts)) throw axis_error(flag, item, "a range has three parts", kIntAxisForms);
  const std::int64_t start = positive_int_part(flag, item, parts[0], "start");
  const std::int64_t stop = positive_int_part(flag, item, parts[1], "stop");
  if (start > stop) {
    throw axis_error(flag, item, "start " + std::to_string(start) + " is above stop " + std::to_string(stop),
                     kIntAxisForms);
  }
  const std::string_view step = parts[2];
  if (step.empty() || (step[0] != 'x' && step[0] != '+')) {
    throw axis_error(flag, item, "the step must be xFACTOR or +STEP", kIntAxisForms);
  }
  std::int64_t n = 0;
  if (!to_int64(step.substr(1), n)) {
    throw axis_error(flag, item, "the step must be xFACTOR or +STEP with an integer", kIntAxisForms);
  }
  if (step[0] == 'x') {
    if (n < 2) throw axis_error(flag, item, "the factor must be at least 2", kIntAxisForms);
    for (std::int64_t v = start;; v *= n) {
      out.add(v, item);
      if (v > stop / n) break;  // the next value would pass stop (or overflow)
    }
  } else {
    if (n < 1) throw axis_error(flag, item, "the step must be at least 1", kIntAxisForms);
    if ((stop - start) / n >= static_cast<std::int64_t>(kMaxAxisValues)) {
      throw axis_error(flag, item, "more than " + std::to_string(kMaxAxisValues) + " values", kIntAxisForms);
    }
    for (std::int64_t v = start;; v += n) {
      out.add(v, item);
      if (v > stop - n) break;
    }
  }
}

bool in_interval(double v, double lo, double hi, Interval iv) {
  switch (iv) {
    case Interval::closed_open: return v >= lo && v < hi;
    case Interval::open_closed: return v > lo && v <= hi;
    case Interval::closed: return v >= lo && v <= hi;
  }
  return false;
}

std::string interval_text(double lo, double hi, Interval iv) {
  const char* l = iv == Interval::open_closed ? "(" : "[";
  const char* h = iv == Interval::closed_open ? ")" : "]";
  return std::string(l) + fmt_real(lo) + ", " + fmt_real(hi) + h;
}

double real_part(std::string_view flag, std::string_view item, std::string_view part, std::string_view what,
                 std::string_view accepted) {
  double v = 0;
  if (!to_double(part, v)) {
    const bool whole = part.size() == item.size();
    throw axis_error(flag, item, whole ? "" : std::string(what) + " '" + std::string(part) + "' is not a number",
                     accepted);
  }
  return v;
}

void add_real_range(std::string_view flag, std::string_view item, std::string_view accepted,
                    std::vector<double>& out) {
  std::string_view parts[3];
  if (!split_range(item, parts)) throw axis_error(flag, item, "a range has three parts", accepted);
  const double start = real_part(flag, item, parts[0], "start", accepted);
  const double stop = real_part(flag, item, parts[1], "stop", accepted);
  if (start > stop) {
    throw axis_error(flag, item, "start " + fmt_real(start) + " is above stop " + fmt_real(stop), accepted);
  }
  const std::string_view step = parts[2];
  if (step.empty() || (step[0] != 'x' && step[0] != '+')) {
    throw axis_error(flag, item, "the step must be xFACTOR or +STEP", accepted);
  }
  const double s = real_part(flag, item, step.substr(1), "step", accepted);
  // Relative slack so that a stop reached up to rounding noise is still generated.
  constexpr double kSlack = 1e-9;
  if (step[0] == '+') {
    if (!(s > 0)) throw axis_error(flag, item, "the step must be positive", accepted);
    const double count = std::floor((stop - start) / s + kSlack) + 1;
    if (count > static_cast<double>(kMaxAxisValues)) {
      throw axis_error(flag, item, "more than " + std::to_string(kMaxAxisValues) + " values", accepted);
    }
    for (std::int64_t i = 0; i < static_cast<std::int64_t>(count); ++i) out.push_back(snap_real(start + i * s));
  } else {
    if (!(s > 1)) throw axis_error(flag, item, "the factor must be above 1", accepted);
    if (!(start > 0)) throw axis_error(flag, item, "a geometric range must start above 0", accepted);
    for (double v = start; v <= stop * (1 + kSlack); v *= s) {
      if (out.size() >= kMaxAxisValues) {
        throw axis_error(flag, item, "more than " + std::to_string(kMaxAxisValues) + " values", accepted);
      }
      out.push_back(snap_real(v));
    }
  }
}

}  // namespace

UsageError axis_error(std::string_view flag, std::string_view item, std::string_view reason,
                      std::string_view accepted) {
  std::string msg = std::string(flag) + ": '" + std::string(item) + "' is not a valid value";
  if (!reason.empty()) msg += ": " + std::string(reason);
  msg += " (accepted: " + std::string(accepted) + ")";
  return UsageError(msg);
}

std::vector<std::string_view> split_axis_items(std::string_view flag, std::string_view spec,
                                               std::string_view accepted) {
  std::vector<std::string_view> items;
  if (trim(spec).empty()) throw axis_error(flag, spec, "no value given", accepted);
  std::size_t pos = 0;
  while (true) {
    const auto comma = spec.find(',', pos);
    const auto item = trim(spec.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    if (item.empty()) throw axis_error(flag, spec, "empty item in the list", accepted);
    items.push_back(item);
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return items;
}

std::vector<std::int64_t> parse_int_axis(std::string_view flag, std::string_view spec) {
  IntAxisBuilder out(flag);
  for (const auto item : split_axis_items(flag, spec, kIntAxisForms)) {
    if (item.find(':') != std::string_view::npos) {
      add_int_range(flag, item, out);
    } else {
      out.add(positive_int_part(flag, item, item, "value"), item);
    }
  }
  return out.take();
}

std::vector<double> parse_real_axis(std::string_view flag, std::string_view spec, double lo, double hi,
                                    Interval interval) {
  const std::string accepted = std::string(kRealAxisForms) + ", each in " + interval_text(lo, hi, interval);
  std::vector<double> out;
  for (const auto item : split_axis_items(flag, spec, accepted)) {
    std::vector<double> values;
    if (item.find(':') != std::string_view::npos) {
      add_real_range(flag, item, accepted, values);
    } else {
      values.push_back(real_part(flag, item, item, "value", accepted));
    }
    for (const double v : values) {
      if (!in_interval(v, lo, hi, interval)) {
        throw axis_error(flag, item, fmt_real(v) + " is outside " + interval_text(lo, hi, interval), accepted);
      }
      bool repeated = false;
      for (const double w : out) repeated = repeated || w == v;
      if (!repeated) out.push_back(v);
    }
    if (out.size() > kMaxAxisValues) {
      throw axis_error(flag, item, "more than " + std::to_string(kMaxAxisValues) + " values", accepted);
    }
  }
  return out;
}

std::vector<std::string> parse_word_axis(std::string_view flag, std::string_view spec,
                                         const std::vector<std::string>& accepted) {
  const std::string accepted_text = join(accepted) + (accepted.empty() ? "" : ", all");
  std::vector<std::string> out;
  std::set<std::string, std::less<>> seen;
  auto add = [&](const std::string& w) {
    if (seen.insert(w).second) out.push_back(w);
  };
  for (const auto item : split_axis_items(flag, spec, accepted_text)) {
    if (item == "all" && !accepted.empty()) {
      for (const auto& w : accepted) add(w);
      continue;
    }
    bool known = false;
    for (const auto& w : accepted) known = known || w == item;
    if (!known) throw axis_error(flag, item, "", accepted_text);
    add(std::string(item));
  }
  return out;
}

std::vector<bool> parse_bool_axis(std::string_view flag, std::string_view spec) {
  std::vector<bool> out;
  auto add = [&](bool b) {
    for (const bool x : out) {
      if (x == b) return;
    }
    out.push_back(b);
  };
  for (const auto item : split_axis_items(flag, spec, kBoolAxisForms)) {
    if (item == "0" || item == "false" || item == "no" || item == "off") {
      add(false);
    } else if (item == "1" || item == "true" || item == "yes" || item == "on") {
      add(true);
    } else if (item == "both") {
      add(false);
      add(true);
    } else {
      throw axis_error(flag, item, "", kBoolAxisForms);
    }
  }
  return out;
}

std::int64_t parse_positive_int(std::string_view flag, std::string_view value) {
  constexpr std::string_view accepted = "one positive integer";
  const auto v = trim(value);
  std::int64_t n = 0;
  if (!to_int64(v, n)) throw axis_error(flag, value, "", accepted);
  if (n <= 0) throw axis_error(flag, value, "must be positive", accepted);
  return n;
}

std::uint64_t parse_u64(std::string_view flag, std::string_view value) {
  constexpr std::string_view accepted = "one unsigned 64-bit integer, decimal or 0x-prefixed hex";
  auto v = trim(value);
  int base = 10;
  if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
    v.remove_prefix(2);
    base = 16;
  }
  std::uint64_t n = 0;
  const auto* end = v.data() + v.size();
  const auto r = std::from_chars(v.data(), end, n, base);
  if (v.empty() || r.ec != std::errc() || r.ptr != end) throw axis_error(flag, value, "", accepted);
  return n;
}

double parse_real(std::string_view flag, std::string_view value, double lo, double hi, Interval interval) {
  const std::string accepted = "one number in " + interval_text(lo, hi, interval);
  const double v = real_part(flag, value, trim(value), "value", accepted);
  if (!in_interval(v, lo, hi, interval)) throw axis_error(flag, value, "out of range", accepted);
  return v;
}

}  // namespace fa
