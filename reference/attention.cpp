#include "reference/attention.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/masking.hpp"
#include "core/philox.hpp"
#include "reference/parallel.hpp"

namespace fa::ref {

Config config_for(const Problem& p, const BlockMask* mask) {
  Config c;
  c.batch = p.batch;
  c.heads = p.heads;
  c.kv_heads = p.num_kv_heads();
  c.seqlen_q = p.seqlen_q;
  c.seqlen_kv = p.seqlen_kv;
  c.head_dim = p.head_dim;
  c.scale = p.scale();
  c.causal = p.causal;
  c.dropout = p.dropout;
  c.seed = p.seed;
  c.mask = mask;
  c.seqlens = p.seqlens;
  return c;
}

bool visible(const Config& c, std::int64_t h, std::int64_t row, std::int64_t col) {
  if (c.causal && !causal_visible(row, col, c.seqlen_q, c.seqlen_kv)) return false;
  return c.mask == nullptr || c.mask->visible(h, row, col);
}

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Catch shape mistakes here rather than as out-of-bounds reads deep in the loops.
void validate(const Config& c) {
  if (c.batch < 1 || c.heads < 1 || c.seqlen_q < 1 || c.seqlen_kv < 1 || c.head_dim < 1) {
    throw std::invalid_argument("reference attention: batch, heads, seqlen_q, seqlen_kv, head_dim must be >= 1");
  }
  if (c.kv_heads < 0 || (c.kv_heads > 0 && c.heads % c.kv_heads != 0)) {
    throw std::invalid_argument("reference attention: kv_heads must divide heads, got " + std::to_string(c.kv_heads) +
                                " K/V heads for " + std::to_string(c.heads) + " query heads");
  }
  if (!c.seqlens.empty() && (static_cast<std::int64_t>(c.seqlens.size()) != c.batch || c.mask != nullptr)) {
    throw std::invalid_argument("reference attention: a varlen batch needs one length per sequence and no block mask");
  }
  if (!(c.dropout >= 0.0 && c.dropout < 1.0)) {
    throw std::invalid_argument("reference attention: dropout must be in [0, 1), got " + std::to_string(c.dropout));
  }
  if (c.mask != nullptr) {
    const BlockMask& m = *c.mask;
    const bool ok = m.block_q > 0 && m.block_k > 0 && (m.heads == 1 || m.heads == c.heads) &&
                    m.blocks_q == ceil_div(c.seqlen_q, m.block_q) && m.blocks_k == ceil_div(c.seqlen_kv, m.block_k) &&
                    static_cast<std::int64_t>(m.bits.size()) == m.heads * m.blocks_q * m.blocks_k;
    if (!ok) throw std::invalid_argument("reference attention: block mask shape does not match the problem");
  }
}

std::int64_t kv_heads_of(const Config& c) { return c.kv_heads > 0 ? c.kv_heads : c.heads; }

// Index of the K/V head (over batch and heads) that query head h of batch b reads.
std::int64_t kv_index(const Config& c, std::int64_t b, std::int64_t h) {
  const std::int64_t hk = kv_heads_of(c);
  return b * hk + h / (c.heads / hk);
}

// Four independent partial sums: without -ffast-math the compiler may not reorder a single
// running sum, so one accumulator makes the dot product add-latency bound (~4x slower).
double dot(const double* a, const double* b, std::int64_t n) {
  double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  std::int64_t d = 0;
  for (; d + 4 <= n; d += 4) {
    s0 += a[d] * b[d];
    s1 += a[d + 1] * b[d + 1];
    s2 += a[d + 2] * b[d + 2];
    s3 += a[d + 3] * b[d + 3];
  }
  for (; d < n; ++d) s0 += a[d] * b[d];
  return (s0 + s1) + (s2 + s3);
}

void axpy(double alpha, const double* x, double* y, std::int64_t n) {
  for (std::int64_t d = 0; d < n; ++d) y[d] += alpha * x[d];
}

// Per-row work shared by forward and backward: the scaled scores of one query row, the softmax
// probabilities and the dropout multipliers, held in buffers allocated once per call.
class RowSoftmax {
 public:
  explicit RowSoftmax(const Config& c)
      : c_(c),
        p_(static_cast<std::size_t>(c.seqlen_kv)),
        drop_(c.dropout > 0.0 ? static_cast<std::size_t>(c.seqlen_kv) : 0),
        threshold_(dropout_threshold8(c.dropout)),
        keep_scale_(1.0 / (1.0 - dropout_p_used(c.dropout))) {}

  // Fills p[0, end()) with the softmax of row `row`; invisible columns get exactly 0.
  // Returns false (and leaves lse() = -inf) when no column is visible.
  bool compute(std::int64_t b, std::int64_t h, std::int64_t row, const double* qi, const double* kbh) {
    const std::int64_t nk = c_.seqlen_kv, dim = c_.head_dim;
    // Causal visibility is a prefix of the row: columns [0, row + Nk - Nq].
    end_ = c_.causal ? std::clamp<std::int64_t>(row + nk - c_.seqlen_q + 1, 0, nk) : nk;
    double mx = kNegInf;
    for (std::int64_t j = 0; j < end_; ++j) {
      double s = kNegInf;
      if (c_.mask == nullptr || c_.mask->visible(h, row, j)) {
        s = c_.scale * dot(qi, kbh + j * dim, dim);
        mx = std::max(mx, s);
      }
      p_[static_cast<std::size_t>(j)] = s;
    }
    if (mx == kNegInf) {
      lse_ = kNegInf;
      return false;
    }
    double sum = 0.0;
    for (std::int64_t j = 0; j < end_; ++j) {
      double& pj = p_[static_cast<std::size_t>(j)];
      pj = std::exp(pj - mx);  // exp(-inf) = 0 for invisible columns
      sum += pj;
    }
    const double inv = 1.0 / sum;
    for (std::int64_t j = 0; j < end_; ++j) p_[static_cast<std::size_t>(j)] *= inv;
    lse_ = mx + std::log(sum);
    if (c_.dropout > 0.0) fill_dropout(b, h, row);
    return true;
  }

  std::int64_t end() const { return end_; }
  double lse() const { return lse_; }
  double p(std::int64_t j) const { return p_[static_cast<std::size_t>(j)]; }
  // keep(b,h,row,j) / (1 - p_used): 0 for a dropped element, 1 without dropout.
  double drop(std::int64_t j) const { return c_.dropout > 0.0 ? drop_[static_cast<std::size_t>(j)] : 1.0; }

 private:
  // One Philox call per 32-column group and column pair t covers 8 elements of this row (the other
  // 8 bytes belong to row +- 8): bytes (row's half) * 8 + q * 2 + e for columns 32G + 8q + 2t + e
  // (core/philox.hpp).
  void fill_dropout(std::int64_t b, std::int64_t h, std::int64_t row) {
    const auto ub = static_cast<std::uint32_t>(b + c_.batch_offset), uh = static_cast<std::uint32_t>(h),
               ur = static_cast<std::uint32_t>(row);
    const unsigned half = ((ur >> 3) & 1u) * 8u;
    for (std::int64_t g0 = 0; g0 < end_; g0 += 32) {
      for (unsigned t = 0; t < 4; ++t) {
        const auto col_t = static_cast<std::uint32_t>(g0) + 2 * t;
        const Philox4 r = dropout_random(c_.seed, ub, uh, dropout_counter_row(ur), dropout_counter_col(col_t));
        for (unsigned q = 0; q < 4; ++q) {
          for (unsigned e = 0; e < 2; ++e) {
            const std::int64_t j = col_t + 8 * q + e;
            if (j >= end_) continue;
            drop_[static_cast<std::size_t>(j)] = philox_byte(r, half + 2 * q + e) >= threshold_ ? keep_scale_ : 0.0;
          }
        }
      }
    }
  }

  const Config& c_;
  std::vector<double> p_, drop_;
  std::uint32_t threshold_;
  double keep_scale_;
  std::int64_t end_ = 0;
  double lse_ = kNegInf;
};

// A varlen batch, one sequence at a time: fn(config of sequence b alone, its token offset).
template <class Fn>
void for_each_sequence(const Config& c, Fn fn) {
  Config s = c;
  s.seqlens.clear();
  s.batch = 1;
  std::int64_t tokens = 0;
  for (std::size_t b = 0; b < c.seqlens.size(); ++b) {
    s.seqlen_q = s.seqlen_kv = c.seqlens[b];
    s.batch_offset = c.batch_offset + static_cast<std::int64_t>(b);
    fn(s, tokens);
    tokens += c.seqlens[b];
  }
}

}  // namespace

void forward(const Config& c, const double* q, const double* k, const double* v, double* o, double* lse) {
  validate(c);
  if (!c.seqlens.empty()) {
    const std::int64_t qw = c.heads * c.head_dim, kw = kv_heads_of(c) * c.head_dim;  // elements per token
    for_each_sequence(c, [&](const Config& s, std::int64_t t) {
      forward(s, q + t * qw, k + t * kw, v + t * kw, o + t * qw, lse + t * c.heads);
    });
    return;
  }
  const std::int64_t nq = c.seqlen_q, nk = c.seqlen_kv, dim = c.head_dim;
  parallel_for(c.batch * c.heads, [&](std::int64_t bh) {  // one (batch, head) per task
    const std::int64_t b = bh / c.heads, h = bh % c.heads, bhk = kv_index(c, b, h);
    const double* kbh = k + bhk * nk * dim;
    const double* vbh = v + bhk * nk * dim;
    RowSoftmax row(c);
    for (std::int64_t i = 0; i < nq; ++i) {
      double* oi = o + (bh * nq + i) * dim;
      std::fill(oi, oi + dim, 0.0);
      const bool any = row.compute(b, h, i, q + (bh * nq + i) * dim, kbh);
      lse[bh * nq + i] = row.lse();
      if (!any) continue;
      for (std::int64_t j = 0; j < row.end(); ++j) {
        const double w = row.p(j) * row.drop(j);
        if (w != 0.0) axpy(w, vbh + j * dim, oi, dim);
      }
    }
  });
}

// Self-contained: recomputes P from Q and K and takes delta_i = sum_j P_ij dP_ij, which equals
// rowsum(dO ∘ O) (with dropout too; tests/cpu/test_reference_backward.cpp checks it) but does not
// depend on the precision of the O and lse handed in. o and lse are accepted for interface parity
// with the kernels' backward and may be null.
void backward(const Config& c, const double* q, const double* k, const double* v, const double* /*o*/,
              const double* /*lse*/, const double* dout, double* dq, double* dk, double* dv) {
  validate(c);
  if (!c.seqlens.empty()) {
    const std::int64_t qw = c.heads * c.head_dim, kw = kv_heads_of(c) * c.head_dim;  // elements per token
    for_each_sequence(c, [&](const Config& s, std::int64_t t) {
      backward(s, q + t * qw, k + t * kw, v + t * kw, nullptr, nullptr, dout + t * qw, dq + t * qw, dk + t * kw,
               dv + t * kw);
    });
    return;
  }
  const std::int64_t nq = c.seqlen_q, nk = c.seqlen_kv, dim = c.head_dim;
  std::fill(dq, dq + c.batch * c.heads * nq * dim, 0.0);
  std::fill(dk, dk + c.batch * kv_heads_of(c) * nk * dim, 0.0);  // summed over each group's query heads
  std::fill(dv, dv + c.batch * kv_heads_of(c) * nk * dim, 0.0);
  // One (batch, K/V head) per task: dK and dV of a K/V head sum over its group's query heads, added in the
  // serial order (query head, then row) so any thread count gives the same bits.
  const std::int64_t hk = kv_heads_of(c), group = c.heads / hk;
  parallel_for(c.batch * hk, [&](std::int64_t task) {
    RowSoftmax row(c);
    std::vector<double> dp(static_cast<std::size_t>(nk));
    const std::int64_t b = task / hk;
    for (std::int64_t h = (task % hk) * group; h < (task % hk + 1) * group; ++h) {
      const std::int64_t bh = b * c.heads + h, bhk = kv_index(c, b, h);
      const double* kbh = k + bhk * nk * dim;
      const double* vbh = v + bhk * nk * dim;
      double* dkbh = dk + bhk * nk * dim;
      double* dvbh = dv + bhk * nk * dim;
      for (std::int64_t i = 0; i < nq; ++i) {
        const double* qi = q + (bh * nq + i) * dim;
        const double* doi = dout + (bh * nq + i) * dim;
        double* dqi = dq + (bh * nq + i) * dim;
        if (!row.compute(b, h, i, qi, kbh)) continue;  // fully masked: no gradient anywhere
        double delta = 0.0;
        for (std::int64_t j = 0; j < row.end(); ++j) {
          const double pj = row.p(j);
          if (pj == 0.0) continue;  // invisible (or underflowed): contributes nothing
          const double dj = row.drop(j);
          const double dpj = dot(doi, vbh + j * dim, dim) * dj;  // dP = (dO V^T) ∘ keep / (1-p)
          dp[static_cast<std::size_t>(j)] = dpj;
          delta += pj * dpj;
          if (dj != 0.0) axpy(pj * dj, doi, dvbh + j * dim, dim);  // dV += (P ∘ keep/(1-p))^T dO
        }
        for (std::int64_t j = 0; j < row.end(); ++j) {
          const double pj = row.p(j);
          if (pj == 0.0) continue;
          const double ds = c.scale * pj * (dp[static_cast<std::size_t>(j)] - delta);
          axpy(ds, kbh + j * dim, dqi, dim);
          axpy(ds, qi, dkbh + j * dim, dim);
        }
      }
    }
  });
}

}  // namespace fa::ref
