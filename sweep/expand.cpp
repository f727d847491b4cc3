#include "sweep/expand.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>

#include "core/errors.hpp"

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

// Largest number of points the spec can produce (before constraint drops), saturating in double
// so that an absurd product cannot overflow.
double point_upper_bound(const SweepSpec& spec, const std::function<bool(std::string_view)>& uses_mask) {
  double per_kernel_base = static_cast<double>(spec.passes.size()) * spec.dtypes.size() * spec.head_dim.size() *
                           spec.causal.size() * spec.dropout.size() * spec.seqlen.size() *
                           std::max<std::size_t>(1, spec.seqlen_kv.size());
  per_kernel_base *= spec.hidden ? 1.0 : static_cast<double>(spec.heads.size());
  per_kernel_base *= static_cast<double>(std::max<std::size_t>(1, spec.kv_heads.size()));
  per_kernel_base *= spec.tokens ? 1.0 : static_cast<double>(spec.batch.size());
  double total = 0;
  for (const auto& k : spec.kernels) {
    const bool mask = uses_mask && uses_mask(k);
    total += per_kernel_base * static_cast<double>(sparsity_variants(spec, mask).size());
  }
  return total;
}

}  // namespace

Expansion expand(const SweepSpec& spec, const std::function<bool(std::string_view kernel)>& uses_block_mask) {
  Expansion e;
  const double bound = point_upper_bound(spec, uses_block_mask);
  if (bound > static_cast<double>(kMaxSweepPoints)) {
    char count[32];
    std::snprintf(count, sizeof count, "%.0f", bound);
    throw UsageError("the sweep expands to " + std::string(count) + " points, more than the limit of " + std::to_string(kMaxSweepPoints) + "; narrow some axes");
  }
  check_kv_heads(spec);
  e.points.reserve(static_cast<std::size_t>(bound));

  // Constrained axes collapse to one placeholder value, replaced per point by the derived one.
  const std::vector<std::int64_t> heads_axis = spec.hidden ? std::vector<std::int64_t>{0} : spec.heads;
  const std::vector<std::int64_t> batch_axis = spec.tokens ? std::vector<std::int64_t>{0} : spec.batch;
  Problem shared;  // the settings every point has
  shared.softmax_scale = spec.softmax_scale;
  shared.seed = spec.seed;
  shared.layout = spec.layout;
  // 0: as many K/V heads as query heads.
  const std::vector<std::int64_t> kv_heads_axis = spec.kv_heads.empty() ? std::vector<std::int64_t>{0} : spec.kv_heads;

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
                  for (const std::int64_t seqlen_q : spec.seqlen) {
                    const std::vector<std::int64_t> kv_axis =
                        spec.seqlen_kv.empty() ? std::vector<std::int64_t>{seqlen_q} : spec.seqlen_kv;
                    for (const std::int64_t seqlen_kv : kv_axis) {
                      for (const std::int64_t batch_value : batch_axis) {
                        std::string batch_reason;
                        const auto batch =
                            spec.tokens ? derive(*spec.tokens, seqlen_q, "--tokens", "seqlen", batch_reason)
                                        : std::optional<std::int64_t>(batch_value);
                        if (!heads || !batch || !kv_fits) {
                          e.dropped_by_constraints += variants.size();
                          if (!heads) add_reason(e, heads_reason);
                          if (!batch) add_reason(e, batch_reason);
                          if (!kv_fits) add_reason(e, kv_reason);
                          continue;
                        }
                        Problem p = shared;
                        p.batch = *batch;
                        p.heads = *heads;
                        p.kv_heads = stored_kv_heads(*heads, kv_heads);
                        p.seqlen_q = seqlen_q;
                        p.seqlen_kv = seqlen_kv;
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
    }
  }
  return e;
}

}  // namespace fa
