#include "sweep/expand.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>

#include "core/errors.hpp"
#include "core/varlen.hpp"

namespace fa {

namespace {

// The mask variants one kernel runs: (pattern, density) pairs in axis order.
std::vector<Sparsity> sparsity_variants(const SweepSpec& spec, bool uses_mask) {
  Sparsity dense;
  dense.block_q = spec.block_q;
  dense.block_k = spec.block_k;
  if (!uses_mask) return {dense};
  std::vector<Sparsity> out;
  for (const auto& pattern : spec.sparsity) {
    if (pattern == "dense") {
      out.push_back(dense);
      continue;
    }
    if (pattern == "causal-blocks") {  // no density knob: one point, not one copy per density
      Sparsity s = dense;
      s.pattern = pattern;
      out.push_back(s);
      continue;
    }
    for (const double d : spec.density) {
      Sparsity s = dense;
      s.pattern = pattern;
      s.density = d;
      out.push_back(s);
    }
  }
  return out;
}

// A value derived from a constraint (total / part), or nullopt with the reason it is impossible.
std::optional<std::int64_t> derive(std::int64_t total, std::int64_t part, const char* constraint,
                                   const char* part_name, std::string& reason) {
  if (part > total) {
    reason = std::string(constraint) + " " + std::to_string(total) + ": " + part_name + " " + std::to_string(part) +
             " exceeds it";
    return std::nullopt;
  }
  if (total % part != 0) {
    reason = std::string(constraint) + " " + std::to_string(total) + ": " + part_name + " " + std::to_string(part) +
             " does not divide it";
    return std::nullopt;
  }
  return total / part;
}

void add_reason(Expansion& e, const std::string& reason) {
  if (std::find(e.drop_reasons.begin(), e.drop_reasons.end(), reason) == e.drop_reasons.end()) {
    e.drop_reasons.push_back(reason);
  }
}

// Whether K/V head count kv (0: as many as the query heads) goes with `heads` query heads; the
// reason when not.
bool kv_heads_fit(std::int64_t heads, std::int64_t kv, std::string& reason) {
  if (kv == 0 || heads % kv == 0) return true;
  reason = "--kv-heads " + std::to_string(kv) + ": does not divide heads " + std::to_string(heads);
  return false;
}

// A --kv-heads value that fits none of the query head counts the sweep can produce is a mistake,
// not a constraint to drop points by: refuse it (exit 2) naming the flag.
void check_kv_heads(const SweepSpec& spec) {
  std::vector<std::int64_t> heads;
  if (spec.hidden) {
    for (const std::int64_t d : spec.head_dim)
      if (d <= *spec.hidden && *spec.hidden % d == 0) heads.push_back(*spec.hidden / d);
  } else {
    heads = spec.heads;
  }
  if (heads.empty()) return;  // every point is dropped by --hidden already, which says why
  std::string heads_text;
  for (const std::int64_t h : heads) heads_text += (heads_text.empty() ? "" : ", ") + std::to_string(h);
  for (const std::int64_t kv : spec.kv_heads) {
    const bool fits = std::any_of(heads.begin(), heads.end(), [&](std::int64_t h) { return h % kv == 0; });
    if (!fits) {
      throw UsageError("--kv-heads: " + std::to_string(kv) + " divides none of the query head counts (" + heads_text +
                       ") (accepted: positive divisors of the query heads, or same)");
    }
  }
}

// The sequence part of a point: batch and lengths (fixed-length or a varlen batch), or why the
// combination cannot exist.
struct SeqShape {
  bool ok = true;
  std::string reason;
  std::int64_t batch = 0, seqlen_q = 0, seqlen_kv = 0;
  std::string varlen;
  std::vector<std::int64_t> seqlens;
};

// A varlen entry next to axes that would change its points silently is a mistake: refuse it (exit 2)
// naming both flags, unless an "off" entry gives those axes fixed-length points to apply to.
void check_varlen(const SweepSpec& spec) {
  if (spec.varlen.empty()) return;
  const bool has_off = std::find(spec.varlen.begin(), spec.varlen.end(), "") != spec.varlen.end();
  if (!has_off) {
    for (const char* axis : {"seqlen", "seqlen-kv", "tokens"}) {
      if (spec.given.count(axis) && !(std::string(axis) == "tokens" && !spec.tokens)) {
        throw UsageError("--varlen: --" + std::string(axis) +
                         " does not apply to varlen batches (query length = key length = each sequence's; "
                         "add off to --varlen for fixed-length points as well)");
      }
    }
    if (spec.given.count("layout") && spec.layout != Layout::bnhd) {
      throw UsageError("--varlen: --layout " + std::string(to_string(spec.layout)) +
                       ": varlen batches are packed [tokens, H, D] (accepted: bnhd, or leave --layout out)");
    }
  }
  for (const std::string& d : spec.varlen) {
    if (d.rfind("fixed-list:", 0) != 0 || !spec.given.count("batch") || spec.tokens) continue;
    const auto n = static_cast<std::int64_t>(varlen_lengths(d, 0, 0).size());
    for (const std::int64_t b : spec.batch) {
      if (b != n) {
        throw UsageError("--batch " + std::to_string(b) + " disagrees with --varlen " + d + " (" + std::to_string(n) +
                         " sequences; accepted: leave --batch out, or give the list's count)");
      }
    }
  }
}

// The varlen batch of one distribution and sequence count.
SeqShape varlen_shape(const SweepSpec& spec, const std::string& dist, std::int64_t batch) {
  SeqShape s;
  s.varlen = dist;
  s.seqlens = varlen_lengths(dist, batch, spec.seed);
  s.batch = static_cast<std::int64_t>(s.seqlens.size());
  const VarlenSummary sum = summarize_lengths(s.seqlens);
  s.seqlen_q = s.seqlen_kv = sum.max;
  if (sum.tokens > 0x7fffffff) {  // token offsets are int32 on the device, as in FlashAttention
    s.ok = false;
    s.reason = "--varlen " + dist + ": " + std::to_string(sum.tokens) + " tokens over " + std::to_string(s.batch) +
               " sequences exceed 2^31 - 1";
  }
  return s;
}

// Every sequence shape of the spec, in axis order: per varlen entry, the fixed-length combinations
// (seqlen, seqlen_kv, batch) of "off", or the varlen batches (one per --batch value for uniform).
std::vector<SeqShape> seq_shapes(const SweepSpec& spec) {
  std::vector<SeqShape> out;
  const std::vector<std::string> entries = spec.varlen.empty() ? std::vector<std::string>{""} : spec.varlen;
  for (const std::string& dist : entries) {
    if (!dist.empty()) {
      const bool listed = dist.rfind("fixed-list:", 0) == 0;
      for (const std::int64_t b : listed ? std::vector<std::int64_t>{0} : spec.batch)
        out.push_back(varlen_shape(spec, dist, b));
      continue;
    }
    const std::vector<std::int64_t> batch_axis = spec.tokens ? std::vector<std::int64_t>{0} : spec.batch;
    for (const std::int64_t seqlen_q : spec.seqlen) {
      const std::vector<std::int64_t> kv_axis = spec.seqlen_kv.empty() ? std::vector<std::int64_t>{seqlen_q} : spec.seqlen_kv;
      for (const std::int64_t seqlen_kv : kv_axis) {
        for (const std::int64_t batch_value : batch_axis) {
          SeqShape s;
          const auto batch = spec.tokens ? derive(*spec.tokens, seqlen_q, "--tokens", "seqlen", s.reason)
                                         : std::optional<std::int64_t>(batch_value);
          s.ok = batch.has_value();
          s.batch = batch.value_or(0);
          s.seqlen_q = seqlen_q;
          s.seqlen_kv = seqlen_kv;
          out.push_back(std::move(s));
        }
      }
    }
  }
  return out;
}

// Largest number of points the spec can produce (before constraint drops), saturating in double
// so that an absurd product cannot overflow.
double point_upper_bound(const SweepSpec& spec, const std::function<bool(std::string_view)>& uses_mask) {
  double per_kernel_base = static_cast<double>(spec.passes.size()) * spec.dtypes.size() * spec.head_dim.size() *
                           spec.causal.size() * spec.dropout.size() * spec.seqlen.size() *
                           std::max<std::size_t>(1, spec.seqlen_kv.size());
  per_kernel_base *= spec.hidden ? 1.0 : static_cast<double>(spec.heads.size());
  per_kernel_base *= static_cast<double>(std::max<std::size_t>(1, spec.kv_heads.size()));
  per_kernel_base *= spec.tokens ? 1.0 : static_cast<double>(spec.batch.size());
  // Each varlen entry adds at most one shape per batch value (a bound, before any length is drawn).
  per_kernel_base += static_cast<double>(spec.passes.size()) * spec.dtypes.size() * spec.head_dim.size() *
                     spec.causal.size() * spec.dropout.size() * (spec.hidden ? 1.0 : spec.heads.size()) *
                     std::max<std::size_t>(1, spec.kv_heads.size()) * spec.varlen.size() * spec.batch.size();
  double total = 0;
  for (const auto& k : spec.kernels) {
    const bool mask = uses_mask && uses_mask(k);
    total += per_kernel_base * static_cast<double>(sparsity_variants(spec, mask).size());
  }
  return total;
}

}  // namespace

namespace {

// The union of the parts' points in part order, a point two parts share once; drop counts added up.
Expansion expand_parts(const SweepSpec& spec, const std::function<bool(std::string_view kernel)>& uses_block_mask) {
  Expansion all;
  std::set<std::string> seen;
  for (const SweepSpec& part : spec.parts) {
    Expansion e = expand(part, uses_block_mask);
    for (Point& pt : e.points)
      if (seen.insert(point_key(pt)).second) all.points.push_back(std::move(pt));
    if (all.points.size() > kMaxSweepPoints) {
      throw UsageError("the sweep's parts expand to more than " + std::to_string(kMaxSweepPoints) + " points; narrow some axes");
    }
    all.dropped_by_constraints += e.dropped_by_constraints;
    for (std::string& r : e.drop_reasons)
      if (std::find(all.drop_reasons.begin(), all.drop_reasons.end(), r) == all.drop_reasons.end())
        all.drop_reasons.push_back(std::move(r));
  }
  return all;
}

}  // namespace

Expansion expand(const SweepSpec& spec, const std::function<bool(std::string_view kernel)>& uses_block_mask) {
  if (!spec.parts.empty()) return expand_parts(spec, uses_block_mask);
  Expansion e;
  const double bound = point_upper_bound(spec, uses_block_mask);
  if (bound > static_cast<double>(kMaxSweepPoints)) {
    char count[32];
    std::snprintf(count, sizeof count, "%.0f", bound);
    throw UsageError("the sweep expands to " + std::string(count) + " points, more than the limit of " + std::to_string(kMaxSweepPoints) + "; narrow some axes");
  }
  check_kv_heads(spec);
  check_varlen(spec);
  e.points.reserve(static_cast<std::size_t>(bound));

  // Constrained axes collapse to one placeholder value, replaced per point by the derived one.
  const std::vector<std::int64_t> heads_axis = spec.hidden ? std::vector<std::int64_t>{0} : spec.heads;
  Problem shared;  // the settings every point has
  shared.softmax_scale = spec.softmax_scale;
  shared.seed = spec.seed;
  // 0: as many K/V heads as query heads.
  const std::vector<std::int64_t> kv_heads_axis = spec.kv_heads.empty() ? std::vector<std::int64_t>{0} : spec.kv_heads;
  const std::vector<SeqShape> shapes = seq_shapes(spec);

  for (const auto& kernel : spec.kernels) {
    const bool mask = uses_block_mask && uses_block_mask(kernel);
    const std::vector<Sparsity> variants = sparsity_variants(spec, mask);
    for (const Pass pass : spec.passes) {
      for (const DType dtype : spec.dtypes) {
        for (const std::int64_t head_dim : spec.head_dim) {
          for (const bool causal : spec.causal) {
            for (const double dropout : spec.dropout) {
              for (const std::int64_t heads_value : heads_axis) {
                std::string heads_reason;
                const auto heads =
                    spec.hidden ? derive(*spec.hidden, head_dim, "--hidden", "head-dim", heads_reason)
                                : std::optional<std::int64_t>(heads_value);
                for (const std::int64_t kv_heads : kv_heads_axis) {
                  std::string kv_reason;
                  const bool kv_fits = !heads || kv_heads_fit(*heads, kv_heads, kv_reason);
                  for (const SeqShape& shape : shapes) {
                    if (!heads || !shape.ok || !kv_fits) {
                      e.dropped_by_constraints += variants.size();
                      if (!heads) add_reason(e, heads_reason);
                      if (!shape.ok) add_reason(e, shape.reason);
                      if (!kv_fits) add_reason(e, kv_reason);
                      continue;
                    }
                    Problem p = shared;
                    p.batch = shape.batch;
                    p.heads = *heads;
                    p.kv_heads = stored_kv_heads(*heads, kv_heads);
                    p.seqlen_q = shape.seqlen_q;
                    p.seqlen_kv = shape.seqlen_kv;
                    p.varlen = shape.varlen;
                    p.seqlens = shape.seqlens;
                    p.layout = shape.varlen.empty() ? spec.layout : Layout::bnhd;  // varlen: packed [tokens, H, D]
                    p.head_dim = head_dim;
                    p.dtype = dtype;
                    p.dropout = dropout;
                    p.causal = causal;
                    for (const Sparsity& sparsity : variants) {
                      p.sparsity = sparsity;
                      e.points.push_back(Point{kernel, pass, p});
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  return e;
}

}  // namespace fa
