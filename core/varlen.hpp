#pragma once
// Variable-length (packed) batches: the --varlen distributions, the per-sequence lengths they give,
// and the summary that CSV and Markdown show. A varlen problem is self-attention per sequence: the
// query and key lengths of sequence b are the same, lengths[b].
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fa {

inline constexpr std::string_view kVarlenForms =
    "uniform:LO:HI (lengths drawn uniformly in [LO, HI] with the point's --seed), fixed-list:L1,L2,... "
    "(lengths 1 .. 16777216), or off";
// Longest sequence a distribution may name: keeps token offsets and per-sequence work in range.
inline constexpr std::int64_t kMaxVarlenLength = std::int64_t{1} << 24;

struct VarlenDist {
  enum class Kind : std::uint8_t { uniform, fixed_list };
  Kind kind = Kind::uniform;
  std::int64_t lo = 0, hi = 0;        // uniform: inclusive bounds
  std::vector<std::int64_t> list;     // fixed-list: the lengths, in order
};

// One distribution as written ("uniform:1024:8192", "fixed-list:1,17,1000"); nullopt with *why
// saying what is wrong (without the text or the flag: callers name them).
std::optional<VarlenDist> parse_varlen_dist(std::string_view text, std::string* why);

// The lengths of `batch` sequences: uniform draws them from `seed` with Philox (the same lengths on
// every machine and compiler); fixed-list returns its list (its count is the batch).
std::vector<std::int64_t> varlen_lengths(const VarlenDist& d, std::int64_t batch, std::uint64_t seed);
// The same from the text; throws std::invalid_argument on a bad distribution.
std::vector<std::int64_t> varlen_lengths(std::string_view text, std::int64_t batch, std::uint64_t seed);

struct VarlenSummary {
  std::int64_t count = 0, tokens = 0, min = 0, median = 0, max = 0;  // median: the lower middle value
};
VarlenSummary summarize_lengths(const std::vector<std::int64_t>& lengths);
// "16 seqs, 72345 tokens, 1024/4531/8150 (min/median/max)".
std::string summary_text(const VarlenSummary& s);

// The short form for labels: "u1024:8192", "f1,17,1000,4097" (long lists: "f24seqs").
std::string varlen_label(std::string_view text);

}  // namespace fa
