#include "sweep/sweep_spec.hpp"

#include <algorithm>

#include "core/errors.hpp"
#include "core/varlen.hpp"
#include "sweep/axis_parse.hpp"

namespace fa {

namespace {

// Splits a ", "-separated catalogue string such as kDTypeNames into words.
std::vector<std::string> words_of(std::string_view names) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= names.size()) {
    auto comma = names.find(',', pos);
    if (comma == std::string_view::npos) comma = names.size();
    auto w = names.substr(pos, comma - pos);
    while (!w.empty() && w.front() == ' ') w.remove_prefix(1);
    while (!w.empty() && w.back() == ' ') w.remove_suffix(1);
    if (!w.empty()) out.emplace_back(w);
    pos = comma + 1;
  }
  return out;
}

// A word axis whose words have aliases (fp16 = half = float16, fwdbwd = both): each item goes
// through the core parser, "all" gives the canonical list, repeats (also via aliases) collapse.
template <typename T, typename Parser>
std::vector<T> parse_enum_axis(std::string_view flag, std::string_view spec, Parser parse,
                               std::string_view names) {
  const std::string accepted = std::string(names) + ", all";
  std::vector<T> out;
  auto add = [&](T v) {
    for (const T& x : out) {
      if (x == v) return;
    }
    out.push_back(v);
  };
  for (const auto item : split_axis_items(flag, spec, accepted)) {
    if (item == "all") {
      for (const auto& w : words_of(names)) add(*parse(w));
      continue;
    }
    const auto v = parse(item);
    if (!v) throw axis_error(flag, item, "", accepted);
    add(*v);
  }
  return out;
}

std::vector<std::string> kernel_axis(const SweepSpec& spec, std::string_view flag, std::string_view value) {
  if (!spec.known_kernels.empty()) return parse_word_axis(flag, value, spec.known_kernels);
  // No catalogue to check against: take the names as written; the caller validates them.
  std::vector<std::string> out;
  for (const auto item : split_axis_items(flag, value, "kernel names")) {
    if (item == "all") throw axis_error(flag, item, "the list of known kernels was not provided", "kernel names");
    bool repeated = false;
    for (const auto& k : out) repeated = repeated || k == item;
    if (!repeated) out.emplace_back(item);
  }
  return out;
}

// "128" (square) or "64x128": query rows x key columns of one mask block.
void set_block(SweepSpec& spec, std::string_view flag, std::string_view value) {
  constexpr std::string_view accepted = "one size like 128 or QxK like 64x128, positive integers up to 65536";
  const auto x = value.find('x');
  const auto q_text = value.substr(0, x);
  const auto k_text = x == std::string_view::npos ? value : value.substr(x + 1);
  std::int64_t q = 0, k = 0;
  try {
    q = parse_positive_int(flag, q_text);
    k = parse_positive_int(flag, k_text);
  } catch (const UsageError&) {
    throw axis_error(flag, value, "", accepted);
  }
  if (q > 65536 || k > 65536) throw axis_error(flag, value, "too large", accepted);
  spec.block_q = static_cast<int>(q);
  spec.block_k = static_cast<int>(k);
}

std::optional<std::int64_t> optional_positive(std::string_view flag, std::string_view value) {
  if (value == "none" || value == "off") return std::nullopt;
  try {
    return parse_positive_int(flag, value);
  } catch (const UsageError&) {
    throw axis_error(flag, value, "", "one positive integer, or none");
  }
}

// "off,uniform:1024:8192,fixed-list:1,17": items start with a form's name; a bare length continues the
// fixed-list before it. Each distribution is checked; "" stands for off.
std::vector<std::string> parse_varlen_axis(std::string_view flag, std::string_view value) {
  std::vector<std::string> out;
  bool in_list = false;
  for (const auto item : split_axis_items(flag, value, std::string(kVarlenForms))) {
    const bool bare = !item.empty() && item.front() >= '0' && item.front() <= '9';
    if (bare && in_list) {
      out.back() += "," + std::string(item);
    } else if (item == "off" || item == "none") {
      out.emplace_back();
    } else {
      out.emplace_back(item);
    }
    in_list = item.rfind("fixed-list:", 0) == 0 || (bare && in_list);
  }
  for (const std::string& d : out) {
    std::string why;
    if (!d.empty() && !parse_varlen_dist(d, &why)) throw axis_error(flag, d, why, kVarlenForms);
  }
  std::vector<std::string> unique;
  for (const std::string& d : out)
    if (std::find(unique.begin(), unique.end(), d) == unique.end()) unique.push_back(d);
  if (unique.size() == 1 && unique.front().empty()) unique.clear();  // off alone: the default
  return unique;
}

std::string normalise_axis_name(std::string_view axis) {
  std::string name(axis);
  if (name.rfind("--", 0) == 0) name.erase(0, 2);
  for (auto& c : name) {
    if (c == '_') c = '-';
  }
  return name;
}

}  // namespace

const std::vector<AxisInfo>& sweep_axes() {
  static const std::vector<AxisInfo> axes = {
      {"kernel", "NAMES", "kernel families to run, or all (default: every available kernel)"},
      {"pass", "NAMES", "fwd, bwd, fwdbwd, or all (default fwd)"},
      {"batch", "INTS", "batch sizes (default 1; ignored with --tokens)"},
      {"heads", "INTS", "attention heads (default 8; ignored with --hidden)"},
      {"kv-heads", "INTS|same",
       "K/V heads: grouped-query attention, 1 = multi-query; each must divide the query heads (default: same as "
       "--heads)"},
      {"seqlen", "INTS", "query sequence lengths (default 1024)"},
      {"seqlen-kv", "INTS|same", "key/value sequence lengths (default: same as --seqlen)"},
      {"varlen", "DISTS|off",
       "variable-length packed batches: uniform:LO:HI (--batch sequences, lengths from --seed) or "
       "fixed-list:L1,L2,... (its count is the batch); self-attention per sequence, Q/K/V packed "
       "[tokens, H, D]; off in the list keeps fixed-length points (default off)"},
      {"head-dim", "INTS", "head dimensions (default 64)"},
      {"dtype", "NAMES", "fp32, fp16, bf16, fp8, or all (default fp16)"},
      {"dropout", "REALS", "dropout probabilities in [0, 1) (default 0)"},
      {"causal", "BOOLS", "causal masking: 0,1 / false,true / no,yes / both (default false)"},
      {"sparsity", "NAMES",
       "block-sparsity patterns, applied to block-mask kernels only: dense, causal-blocks, local, strided, "
       "random, butterfly, or all (default dense)"},
      {"density", "REALS", "fraction of kept mask blocks in (0, 1]; ignored by dense (default 1)"},
      {"block", "Q[xK]", "block-mask granularity in query rows x key columns (default 128x128)"},
      {"layout", "NAME", "tensor layout bhnd or bnhd (default bhnd)"},
      {"scale", "REAL", "softmax scale; 0 means 1/sqrt(head_dim) (default 0)"},
      {"seed", "INT", "Philox seed for inputs and dropout, decimal or 0x hex (default 0x5eed)"},
      {"tokens", "INT|none", "keep batch x seqlen = tokens: batch is derived, other seqlens dropped"},
      {"hidden", "INT|none", "keep heads x head-dim = hidden: heads is derived, other head dims dropped"},
  };
  return axes;
}

std::vector<std::string_view> sweep_axis_names() {
  std::vector<std::string_view> names;
  for (const auto& a : sweep_axes()) names.push_back(a.name);
  return names;
}

bool is_sweep_axis(std::string_view name) {
  const std::string n = normalise_axis_name(name);
  for (const auto& a : sweep_axes()) {
    if (a.name == n) return true;
  }
  return false;
}

void set_axis(SweepSpec& spec, std::string_view axis, std::string_view value) {
  const std::string name = normalise_axis_name(axis);
  const std::string flag = "--" + name;
  if (is_sweep_axis(name)) spec.given.insert(name);
  if (name == "kernel") {
    spec.kernels = kernel_axis(spec, flag, value);
  } else if (name == "pass") {
    spec.passes = parse_enum_axis<Pass>(flag, value, parse_pass, kPassNames);
  } else if (name == "batch") {
    spec.batch = parse_int_axis(flag, value);
  } else if (name == "heads") {
    spec.heads = parse_int_axis(flag, value);
  } else if (name == "kv-heads") {
    if (value == "same") {
      spec.kv_heads.clear();
    } else {
      spec.kv_heads = parse_int_axis(flag, value);
    }
  } else if (name == "seqlen") {
    spec.seqlen = parse_int_axis(flag, value);
  } else if (name == "seqlen-kv") {
    if (value == "same") {
      spec.seqlen_kv.clear();
    } else {
      spec.seqlen_kv = parse_int_axis(flag, value);
    }
  } else if (name == "varlen") {
    spec.varlen = parse_varlen_axis(flag, value);
  } else if (name == "head-dim") {
    spec.head_dim = parse_int_axis(flag, value);
  } else if (name == "dtype") {
    spec.dtypes = parse_enum_axis<DType>(flag, value, parse_dtype, kDTypeNames);
  } else if (name == "dropout") {
    spec.dropout = parse_real_axis(flag, value, 0.0, 1.0, Interval::closed_open);
  } else if (name == "causal") {
    spec.causal = parse_bool_axis(flag, value);
  } else if (name == "sparsity") {
    spec.sparsity = parse_word_axis(flag, value, words_of(kSparsityNames));
  } else if (name == "density") {
    spec.density = parse_real_axis(flag, value, 0.0, 1.0, Interval::open_closed);
  } else if (name == "block") {
    set_block(spec, flag, value);
  } else if (name == "layout") {
    const auto l = parse_layout(value);
    if (!l) throw axis_error(flag, value, "", kLayoutNames);
    spec.layout = *l;
  } else if (name == "scale") {
    spec.softmax_scale = parse_real(flag, value, 0.0, 1000.0, Interval::closed);
  } else if (name == "seed") {
    spec.seed = parse_u64(flag, value);
  } else if (name == "tokens") {
    spec.tokens = optional_positive(flag, value);
  } else if (name == "hidden") {
    spec.hidden = optional_positive(flag, value);
  } else {
    std::string names;
    for (const auto n : sweep_axis_names()) names += (names.empty() ? "" : ", ") + std::string(n);
    throw UsageError("unknown sweep axis '" + std::string(axis) + "' (accepted: " + names + ")");
  }
}

}  // namespace fa
