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

// Largest number of points the spec can produce (before constraint drops), saturating in double
// so that an absurd product cannot overflow.
double point_upper_bound(const SweepSpec& spec, const std::function<bool(std::string_view)>& uses_mask) {
  double per_kernel_base = static_cast<double>(spec.passes.size()) * spec.dtypes.size() * spec.head_dim.size() *
                           spec.causal.size() * spec.dropout.size() * spec.seqlen.size() *
                           std::max<std::size_t>(1, spec.seqlen_kv.size());
  per_kernel_base *= spec.hidden ? 1.0 : static_cast<double>(spec.heads.size());
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
  e.points.reserve(static_cast<std::size_t>(bound));

  // Constrained axes collapse to one placeholder value, replaced per point by the derived one.
  const std::vector<std::int64_t> heads_axis = spec.hidden ? std::vector<std::int64_t>{0} : spec.heads;
  const std::vector<std::int64_t> batch_axis = spec.tokens ? std::vector<std::int64_t>{0} : spec.batch;

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
                for (const std::int64_t seqlen_q : spec.seqlen) {
                  const std::vector<std::int64_t> kv_axis =
                      spec.seqlen_kv.empty() ? std::vector<std::int64_t>{seqlen_q} : spec.seqlen_kv;
                  for (const std::int64_t seqlen_kv : kv_axis) {
                    for (const std::int64_t batch_value : batch_axis) {
                      std::string batch_reason;
                      const auto batch =
                          spec.tokens ? derive(*spec.tokens, seqlen_q, "--tokens", "seqlen", batch_reason)
                                      : std::optional<std::int64_t>(batch_value);
                      if (!heads || !batch) {
                        e.dropped_by_constraints += variants.size();
                        add_reason(e, heads ? batch_reason : heads_reason);
                        if (!heads && !batch) add_reason(e, batch_reason);
                        continue;
                      }
                      for (const Sparsity& sparsity : variants) {
                        Point pt;
                        pt.kernel = kernel;
                        pt.pass = pass;
                        Problem& p = pt.problem;
                        p.batch = *batch;
                        p.heads = *heads;
                        p.seqlen_q = seqlen_q;
                        p.seqlen_kv = seqlen_kv;
                        p.head_dim = head_dim;
                        p.dtype = dtype;
                        p.dropout = dropout;
                        p.causal = causal;
                        p.softmax_scale = spec.softmax_scale;
                        p.seed = spec.seed;
                        p.layout = spec.layout;
                        p.sparsity = sparsity;
                        e.points.push_back(std::move(pt));
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
