#pragma once
// Helpers for the reference tests: random inputs and a deliberately naive attention forward that
// materialises S and P and restates the visibility rules itself (not through core/masking.hpp or
// BlockMask::visible), so the tests compare two independent formulations.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "core/block_mask.hpp"
#include "core/philox.hpp"
#include "reference/attention.hpp"

namespace fa::reftest {

inline std::vector<double> randn(std::size_t n, std::uint64_t seed, double sd = 1.0) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> dist(0.0, sd);
  std::vector<double> x(n);
  for (double& e : x) e = dist(rng);
  return x;
}

inline std::size_t q_size(const ref::Config& c) {
  return static_cast<std::size_t>(c.batch * c.heads * c.seqlen_q * c.head_dim);
}
inline std::size_t kv_size(const ref::Config& c) {
  return static_cast<std::size_t>(c.batch * c.heads * c.seqlen_kv * c.head_dim);
}
inline std::size_t lse_size(const ref::Config& c) { return static_cast<std::size_t>(c.batch * c.heads * c.seqlen_q); }

// Visibility restated from the README: bottom-right causal, then the raw mask bytes.
inline bool naive_visible(const ref::Config& c, std::int64_t h, std::int64_t i, std::int64_t j) {
  if (c.causal && j - i > c.seqlen_kv - c.seqlen_q) return false;
  if (c.mask == nullptr) return true;
  const BlockMask& m = *c.mask;
  const std::int64_t hh = m.heads == 1 ? 0 : h;
  return m.bits[static_cast<std::size_t>((hh * m.blocks_q + i / m.block_q) * m.blocks_k + j / m.block_k)] != 0;
}

struct NaiveOut {
  std::vector<double> o, lse;
};

inline NaiveOut naive_forward(const ref::Config& c, const std::vector<double>& q, const std::vector<double>& k,
                              const std::vector<double>& v) {
  const std::int64_t nq = c.seqlen_q, nk = c.seqlen_kv, d = c.head_dim;
  NaiveOut out{std::vector<double>(q_size(c), 0.0), std::vector<double>(lse_size(c), 0.0)};
  const double ninf = -std::numeric_limits<double>::infinity();
  const std::uint32_t thr = dropout_threshold8(c.dropout);
  std::vector<double> s(static_cast<std::size_t>(nq * nk));
  for (std::int64_t b = 0; b < c.batch; ++b) {
    for (std::int64_t h = 0; h < c.heads; ++h) {
      const std::int64_t bh = b * c.heads + h;
      auto Q = [&](std::int64_t i, std::int64_t x) { return q[static_cast<std::size_t>((bh * nq + i) * d + x)]; };
      auto K = [&](std::int64_t j, std::int64_t x) { return k[static_cast<std::size_t>((bh * nk + j) * d + x)]; };
      auto V = [&](std::int64_t j, std::int64_t x) { return v[static_cast<std::size_t>((bh * nk + j) * d + x)]; };
      // S = scale * Q K^T with -inf where invisible.
      for (std::int64_t i = 0; i < nq; ++i) {
        for (std::int64_t j = 0; j < nk; ++j) {
          double acc = 0;
          for (std::int64_t x = 0; x < d; ++x) acc += Q(i, x) * K(j, x);
          s[static_cast<std::size_t>(i * nk + j)] = naive_visible(c, h, i, j) ? c.scale * acc : ninf;
        }
      }
      for (std::int64_t i = 0; i < nq; ++i) {
        double* row = &s[static_cast<std::size_t>(i * nk)];
        const double mx = *std::max_element(row, row + nk);
        double& lse = out.lse[static_cast<std::size_t>(bh * nq + i)];
        if (mx == ninf) {
          lse = ninf;
          continue;
        }
        double sum = 0;
        for (std::int64_t j = 0; j < nk; ++j) sum += std::exp(row[j] - mx);
        lse = mx + std::log(sum);
        for (std::int64_t j = 0; j < nk; ++j) {
          double p = std::exp(row[j] - mx) / sum;
          if (c.dropout > 0) {
            const bool keep = dropout_keep(c.seed, thr, static_cast<std::uint32_t>(b), static_cast<std::uint32_t>(h),
                                           static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(j));
            p = keep ? p / (1.0 - dropout_p_used(c.dropout)) : 0.0;
          }
          for (std::int64_t x = 0; x < d; ++x) out.o[static_cast<std::size_t>((bh * nq + i) * d + x)] += p * V(j, x);
        }
      }
    }
  }
  return out;
}

inline double max_abs_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;  // also equal infinities
    m = std::max(m, std::abs(a[i] - b[i]));
  }
  return m;
}

inline double l2(const std::vector<double>& a) {
  double s = 0;
  for (double x : a) s += x * x;
  return std::sqrt(s);
}

inline double rel_l2(const std::vector<double>& got, const std::vector<double>& want) {
  double num = 0;
  for (std::size_t i = 0; i < got.size(); ++i) num += (got[i] - want[i]) * (got[i] - want[i]);
  return std::sqrt(num) / l2(want);
}

inline bool all_finite(const std::vector<double>& a) {
  return std::all_of(a.begin(), a.end(), [](double x) { return std::isfinite(x); });
}

inline ref::Config make_config(std::int64_t b, std::int64_t h, std::int64_t nq, std::int64_t nk, std::int64_t d,
                               bool causal = false, double dropout = 0.0, const BlockMask* mask = nullptr) {
  ref::Config c;
  c.batch = b;
  c.heads = h;
  c.seqlen_q = nq;
  c.seqlen_kv = nk;
  c.head_dim = d;
  c.scale = 1.0 / std::sqrt(static_cast<double>(d));
  c.causal = causal;
  c.dropout = dropout;
  c.seed = 0x1234abcd5678ULL;
  c.mask = mask;
  return c;
}

}  // namespace fa::reftest
