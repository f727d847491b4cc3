#include "core/varlen.hpp"

#include <algorithm>
#include <charconv>
#include <numeric>
#include <stdexcept>

#include "core/philox.hpp"

namespace fa {

namespace {

constexpr std::string_view kUniform = "uniform:", kFixedList = "fixed-list:";

std::optional<std::int64_t> length_of(std::string_view s) {
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < 1 || v > kMaxVarlenLength) return std::nullopt;
  return v;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (std::size_t pos = 0;;) {
    const std::size_t at = s.find(sep, pos);
    out.push_back(s.substr(pos, at == std::string_view::npos ? std::string_view::npos : at - pos));
    if (at == std::string_view::npos) return out;
    pos = at + 1;
  }
}

}  // namespace

std::optional<VarlenDist> parse_varlen_dist(std::string_view text, std::string* why) {
  VarlenDist d;
  if (text.substr(0, kUniform.size()) == kUniform) {
    const auto parts = split(text.substr(kUniform.size()), ':');
    const auto lo = parts.size() == 2 ? length_of(parts[0]) : std::nullopt;
    const auto hi = parts.size() == 2 ? length_of(parts[1]) : std::nullopt;
    if (!lo || !hi || *lo > *hi) {
      *why = "uniform takes LO:HI with 1 <= LO <= HI <= " + std::to_string(kMaxVarlenLength);
      return std::nullopt;
    }
    d.kind = VarlenDist::Kind::uniform;
    d.lo = *lo;
    d.hi = *hi;
    return d;
  }
  if (text.substr(0, kFixedList.size()) == kFixedList) {
    d.kind = VarlenDist::Kind::fixed_list;
    for (const std::string_view item : split(text.substr(kFixedList.size()), ',')) {
      const auto n = length_of(item);
      if (!n) {
        *why = "fixed-list lengths are integers in [1, " + std::to_string(kMaxVarlenLength) + "], got '" +
               std::string(item) + "'";
        return std::nullopt;
      }
      d.list.push_back(*n);
    }
    return d;
  }
  *why = "not a length distribution";
  return std::nullopt;
}

std::vector<std::int64_t> varlen_lengths(const VarlenDist& d, std::int64_t batch, std::uint64_t seed) {
  if (d.kind == VarlenDist::Kind::fixed_list) return d.list;
  // One Philox call per sequence on its own counter stream ('vlen' in the last word keeps it apart
  // from the dropout counters, which use (column, row, head, batch)); a 64-bit draw reduced to the
  // range by a modulo, whose bias is below 2^-40 for any range here (at most 2^24 values).
  std::vector<std::int64_t> out(static_cast<std::size_t>(std::max<std::int64_t>(batch, 0)));
  const auto span = static_cast<std::uint64_t>(d.hi - d.lo + 1);
  for (std::size_t b = 0; b < out.size(); ++b) {
    const Philox4 r = philox4x32_10(Philox4{static_cast<std::uint32_t>(b), 0u, 0u, 0x766c656eu},
                                    static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
    const std::uint64_t x = (static_cast<std::uint64_t>(r.x) << 32) | r.y;
    out[b] = d.lo + static_cast<std::int64_t>(x % span);
  }
  return out;
}

std::vector<std::int64_t> varlen_lengths(std::string_view text, std::int64_t batch, std::uint64_t seed) {
  std::string why;
  const auto d = parse_varlen_dist(text, &why);
  if (!d) throw std::invalid_argument("'" + std::string(text) + "': " + why);
  return varlen_lengths(*d, batch, seed);
}

VarlenSummary summarize_lengths(const std::vector<std::int64_t>& lengths) {
  VarlenSummary s;
  if (lengths.empty()) return s;
  std::vector<std::int64_t> sorted = lengths;
  std::sort(sorted.begin(), sorted.end());
  s.count = static_cast<std::int64_t>(sorted.size());
  s.tokens = std::accumulate(sorted.begin(), sorted.end(), std::int64_t{0});
  s.min = sorted.front();
  s.max = sorted.back();
  s.median = sorted[(sorted.size() - 1) / 2];
  return s;
}

std::string summary_text(const VarlenSummary& s) {
  return std::to_string(s.count) + " seqs, " + std::to_string(s.tokens) + " tokens, " + std::to_string(s.min) + "/" +
         std::to_string(s.median) + "/" + std::to_string(s.max) + " (min/median/max)";
}

std::string varlen_label(std::string_view text) {
  if (text.substr(0, kUniform.size()) == kUniform) return "u" + std::string(text.substr(kUniform.size()));
  if (text.substr(0, kFixedList.size()) == kFixedList) {
    const std::string_view list = text.substr(kFixedList.size());
    const auto items = std::count(list.begin(), list.end(), ',') + 1;
    if (items <= 6) return "f" + std::string(list);
    return "f" + std::to_string(items) + "seqs";
  }
  return std::string(text);
}

}  // namespace fa
