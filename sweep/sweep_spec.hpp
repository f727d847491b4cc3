#pragma once
// What a sweep is before expansion: one list of values per axis, a few scalar settings shared by
// every point, and two optional shape constraints. Filled from defaults, then a sweep file, then
// command-line flags; set_axis() is the single entry point both use, so a value is validated (and
// an error worded) the same way wherever it came from.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/dtype.hpp"
#include "core/problem.hpp"

namespace fa {

struct SweepSpec {
  // Kernel names --kernel accepts ("all" expands to this list). Filled by the caller from the
  // kernel catalogue (the sweep library does not depend on kernels/). Empty: names are not
  // checked here and "all" is rejected.
  std::vector<std::string> known_kernels;
  std::string description;  // from a sweep file; informational only

  std::vector<std::string> kernels;  // empty: the caller picks (e.g. every available kernel)
  std::vector<Pass> passes{Pass::fwd};
  std::vector<std::int64_t> batch{1};
  std::vector<std::int64_t> heads{8};
  // K/V heads (grouped-query attention; 1 = multi-query); empty: as many as the query heads. Each
  // must divide some query head count; a combination where it does not divide is dropped and counted.
  std::vector<std::int64_t> kv_heads;
  std::vector<std::int64_t> seqlen{1024};    // query length
  std::vector<std::int64_t> seqlen_kv;       // key/value length; empty: equal to the query length
  // Variable-length batches (core/varlen.hpp): distributions as written, "" for off (fixed-length
  // points). Empty: off only. A varlen point takes its sequence count from the batch axis (uniform)
  // or from its list (fixed-list); seqlen, seqlen-kv, tokens and layout apply to the off entries.
  std::vector<std::string> varlen;
  std::vector<std::int64_t> head_dim{64};
  std::vector<DType> dtypes{DType::fp16};
  std::vector<double> dropout{0.0};
  std::vector<bool> causal{false};
  std::vector<std::string> sparsity{"dense"};  // patterns; only kernels that use a block mask see them
  std::vector<double> density{1.0};            // ignored by the "dense" pattern

  int block_q = 128;  // block-mask granularity
  int block_k = 128;
  Layout layout = Layout::bhnd;
  double softmax_scale = 0.0;  // 0: 1/sqrt(head_dim)
  std::uint64_t seed = 0x5eedULL;

  // Keep batch * seqlen_q == tokens (batch derived, batch axis ignored); a seqlen that does not
  // divide tokens, or exceeds it, is dropped and counted.
  std::optional<std::int64_t> tokens;
  // Keep heads * head_dim == hidden (heads derived, heads axis ignored); same dropping rule.
  std::optional<std::int64_t> hidden;

  // Axes set by a sweep file or a flag rather than left at their defaults (names as in sweep_axes()):
  // what a varlen batch must not be combined with silently.
  std::set<std::string> given;

  // A sweep of several parts (a sweep file's "parts"): its points are those of the parts, each part being
  // this spec with the part's own settings on top (and the command-line flags on top of those), one copy of
  // a point that two parts share. Empty: the spec's own Cartesian product. Parts have no parts.
  std::vector<SweepSpec> parts;
};

// One settable axis or setting, for help text and error messages.
struct AxisInfo {
  std::string_view name;    // "seqlen-kv"; the flag is "--" + name
  std::string_view syntax;  // "INTS"
  std::string_view help;    // one line, mentions the default
};
const std::vector<AxisInfo>& sweep_axes();
std::vector<std::string_view> sweep_axis_names();
bool is_sweep_axis(std::string_view name);

// Parses `value` for the named axis (a name of sweep_axes(); '_' is accepted for '-') and replaces
// that axis in `spec`. Throws UsageError naming the flag "--<axis>" on a bad value, and listing
// the axis names on an unknown axis.
//   "seqlen-kv": "same" clears the axis (key length = query length).
//   "kv-heads": "same" clears the axis (K/V heads = query heads).
//   "varlen": distributions separated by commas ("off,uniform:1024:8192"); a bare number continues
//             the fixed-list before it ("fixed-list:1,17,1000"); "off" alone clears the axis.
//   "tokens", "hidden": "none" clears the constraint.
//   "block": "64" (square) or "64x128" (query rows x key columns).
//   "scale": 0 means 1/sqrt(head_dim).
void set_axis(SweepSpec& spec, std::string_view axis, std::string_view value);

}  // namespace fa
