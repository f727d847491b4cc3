#include "reference/masks.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "core/philox.hpp"

namespace fa::ref {

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

// Key block on the "diagonal" of query block bq: the block holding the key column that the last
// row of bq reaches under the bottom-right aligned causal rule, so that local/strided/butterfly
// patterns line up with causal attention when Nq != Nk. Clamped to the key-block range.
std::int64_t diag_block(const BlockMask& m, std::int64_t bq, std::int64_t nq, std::int64_t nk) {
  const std::int64_t row_last = std::min<std::int64_t>((bq + 1) * m.block_q, nq) - 1;
  const std::int64_t col = row_last + (nk - nq);
  if (col < 0) return 0;
  return std::min<std::int64_t>(col / m.block_k, m.blocks_k - 1);
}

BlockMask empty_mask(const Sparsity& s, std::int64_t heads, std::int64_t nq, std::int64_t nk) {
  BlockMask m;
  m.heads = heads;
  m.block_q = s.block_q;
  m.block_k = s.block_k;
  m.blocks_q = ceil_div(nq, s.block_q);
  m.blocks_k = ceil_div(nk, s.block_k);
  m.bits.assign(static_cast<std::size_t>(heads * m.blocks_q * m.blocks_k), 0);
  return m;
}

// Fills a shared (heads == 1) mask from keep(bq, bk).
void fill(BlockMask& m, const std::function<bool(std::int64_t, std::int64_t)>& keep) {
  for (std::int64_t bq = 0; bq < m.blocks_q; ++bq) {
    for (std::int64_t bk = 0; bk < m.blocks_k; ++bk) {
      m.bits[static_cast<std::size_t>(bq * m.blocks_k + bk)] = keep(bq, bk) ? 1 : 0;
    }
  }
}

// Patterns with an integer knob: pick the candidate knob whose density is nearest the target (ties
// go to the earlier candidate), then build that mask. Densities come from per-row counts so the
// search stays O(knobs * blocks_q) even for long sequences.
using RowCount = std::function<std::int64_t(std::int64_t knob, std::int64_t bq)>;
using Keep = std::function<bool(std::int64_t knob, std::int64_t bq, std::int64_t bk)>;

BlockMask nearest(BlockMask m, const std::vector<std::int64_t>& knobs, double target, const RowCount& row_count,
                  const Keep& keep) {
  std::int64_t best = knobs.front();
  double best_err = 2.0;
  const double total = static_cast<double>(m.blocks_q * m.blocks_k);
  for (const std::int64_t knob : knobs) {
    std::int64_t kept = 0;
    for (std::int64_t bq = 0; bq < m.blocks_q; ++bq) kept += row_count(knob, bq);
    const double err = std::abs(static_cast<double>(kept) / total - target);
    if (err < best_err) {
      best_err = err;
      best = knob;
    }
  }
  fill(m, [&](std::int64_t bq, std::int64_t bk) { return keep(best, bq, bk); });
  return m;
}

std::vector<std::int64_t> knob_range(std::int64_t lo, std::int64_t hi) {
  std::vector<std::int64_t> v;
  for (std::int64_t k = lo; k <= hi; ++k) v.push_back(k);
  return v;
}

int levels_for(std::int64_t blocks) {  // number of i with 2^i < blocks
  int l = 0;
  while ((std::int64_t{1} << l) < blocks) ++l;
  return l;
}

// Butterfly over groups of g adjacent key blocks: group d links with group d XOR 2^i for each level
// i < levels (levels 0: the diagonal group only). g = 1 is the classic block butterfly, whose density
// tops out at (1 + log2 nb) / nb (0.11 at 64 blocks); coarser groups reach the higher densities
// asked for (one group of every block: density 1). The knob packs (log2 g, levels); candidates go
// fine to coarse, so a density the fine pattern reaches keeps it.
constexpr int kLevelBits = 6;  // levels < 64

BlockMask butterfly(BlockMask m, double target, const std::function<std::int64_t(std::int64_t)>& diag) {
  const std::int64_t nb = m.blocks_k;
  const auto group = [](std::int64_t knob) { return std::int64_t{1} << (knob >> kLevelBits); };
  const auto levels = [](std::int64_t knob) { return knob & ((std::int64_t{1} << kLevelBits) - 1); };
  std::vector<std::int64_t> knobs;
  for (int lg = 0; (std::int64_t{1} << lg) < 2 * nb; ++lg) {
    const std::int64_t groups = ceil_div(nb, std::int64_t{1} << lg);
    for (std::int64_t l = 0; l <= levels_for(groups); ++l) knobs.push_back((std::int64_t{lg} << kLevelBits) | l);
  }
  const auto linked = [&](std::int64_t knob, std::int64_t a, std::int64_t b) {  // key groups a and b
    const std::int64_t x = a ^ b;
    return x == 0 || ((x & (x - 1)) == 0 && x < (std::int64_t{1} << levels(knob)));  // 0 or 2^i, i < levels
  };
  return nearest(
      m, knobs, target,
      [&](std::int64_t knob, std::int64_t bq) {
        const std::int64_t g = group(knob), groups = ceil_div(nb, g), d = diag(bq) / g;
        const auto width = [&](std::int64_t c) { return std::min(g, nb - c * g); };  // last group may be short
        std::int64_t n = width(d);
        for (std::int64_t i = 0; i < levels(knob); ++i)
          if (const std::int64_t c = d ^ (std::int64_t{1} << i); c < groups) n += width(c);
        return n;
      },
      [&](std::int64_t knob, std::int64_t bq, std::int64_t bk) {
        const std::int64_t g = group(knob);
        return linked(knob, diag(bq) / g, bk / g);
      });
}

void check(const Sparsity& s, std::int64_t heads, std::int64_t nq, std::int64_t nk) {
  if (!is_known_sparsity(s.pattern)) throw bad_value("sparsity", s.pattern, std::string(kSparsityNames));
  if (s.block_q < 1 || s.block_k < 1) {
    throw UsageError("sparsity block size must be >= 1 (got " + std::to_string(s.block_q) + "x" +
                     std::to_string(s.block_k) + ")");
  }
  const bool has_knob = s.pattern != "dense" && s.pattern != "causal-blocks";
  if (has_knob && !(s.density > 0.0 && s.density <= 1.0)) {
    throw UsageError("sparsity density must be in (0, 1] for pattern '" + s.pattern + "' (got " +
                     std::to_string(s.density) + ")");
  }
  if (heads < 1 || nq < 1 || nk < 1) throw std::invalid_argument("make_block_mask: heads, Nq, Nk must be >= 1");
}

}  // namespace

BlockMask make_block_mask(const Sparsity& s, std::int64_t heads, std::int64_t seqlen_q, std::int64_t seqlen_kv,
                          std::uint64_t seed) {
  check(s, heads, seqlen_q, seqlen_kv);
  const std::int64_t nq = seqlen_q, nk = seqlen_kv;
  BlockMask m = empty_mask(s, s.pattern == "random" ? heads : 1, nq, nk);
  const auto diag = [&](std::int64_t bq) { return diag_block(m, bq, nq, nk); };

  if (s.pattern == "dense") {
    std::fill(m.bits.begin(), m.bits.end(), std::uint8_t{1});
  } else if (s.pattern == "causal-blocks") {
    // Block (bq, bk) intersects the causal triangle iff its first column is visible from its last row.
    fill(m, [&](std::int64_t bq, std::int64_t bk) {
      const std::int64_t row_last = std::min<std::int64_t>((bq + 1) * m.block_q, nq) - 1;
      return bk * m.block_k <= row_last + (nk - nq);
    });
  } else if (s.pattern == "local") {
    const std::int64_t nb = m.blocks_k;
    m = nearest(
        m, knob_range(0, nb - 1), s.density,
        [&](std::int64_t w, std::int64_t bq) {
          return std::min(diag(bq) + w, nb - 1) - std::max<std::int64_t>(diag(bq) - w, 0) + 1;
        },
        [&](std::int64_t w, std::int64_t bq, std::int64_t bk) { return std::abs(diag(bq) - bk) <= w; });
  } else if (s.pattern == "strided") {
    // The diagonal block plus the last block of every stride-wide group of key blocks (the
    // "summary" columns of Child et al.'s fixed pattern). stride = blocks_k + 1: diagonal only.
    const auto summary = [](std::int64_t stride, std::int64_t bk) { return bk % stride == stride - 1; };
    m = nearest(
        m, knob_range(1, m.blocks_k + 1), s.density,
        [&](std::int64_t stride, std::int64_t bq) { return m.blocks_k / stride + (summary(stride, diag(bq)) ? 0 : 1); },
        [&](std::int64_t stride, std::int64_t bq, std::int64_t bk) { return bk == diag(bq) || summary(stride, bk); });
  } else if (s.pattern == "butterfly") {
    m = butterfly(m, s.density, diag);
  } else {  // random
    // Philox on (bk, bq, head, tag) keyed by the seed: reproducible on any platform, and
    // independent of the dropout stream (different fourth counter word).
    constexpr std::uint32_t kTag = 0x6d61736bu;  // "mask"
    const std::uint32_t threshold = philox_threshold32(s.density);  // P(word < threshold) = density
    for (std::int64_t h = 0; h < m.heads; ++h) {
      for (std::int64_t bq = 0; bq < m.blocks_q; ++bq) {
        std::uint8_t* row = m.bits.data() + (h * m.blocks_q + bq) * m.blocks_k;
        bool any = false;
        for (std::int64_t bk = 0; bk < m.blocks_k; ++bk) {
          const Philox4 r = philox4x32_10(
              Philox4{static_cast<std::uint32_t>(bk), static_cast<std::uint32_t>(bq), static_cast<std::uint32_t>(h), kTag},
              static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
          row[bk] = (s.density >= 1.0 || r.x < threshold) ? 1 : 0;
          any = any || row[bk] != 0;
        }
        if (!any) row[diag(bq)] = 1;  // every query block attends somewhere
      }
    }
  }
  return m;
}

std::optional<BlockMask> problem_block_mask(const Problem& p) {
  if (p.sparsity.is_dense()) return std::nullopt;
  return make_block_mask(p.sparsity, p.heads, p.seqlen_q, p.seqlen_kv, p.seed);
}

std::string density_out_of_reach(const Sparsity& s, std::int64_t heads, std::int64_t seqlen_q, std::int64_t seqlen_kv,
                                 std::uint64_t seed) {
  if (s.pattern == "dense" || s.pattern == "causal-blocks") return "";
  check(s, heads, seqlen_q, seqlen_kv);
  // random draws each block with the target probability: only its floor of one block per row is
  // systematic, and it only errs upwards.
  const bool random = s.pattern == "random";
  const BlockMask m = random ? empty_mask(s, 1, seqlen_q, seqlen_kv) : make_block_mask(s, heads, seqlen_q, seqlen_kv, seed);
  const double kept = random ? 1.0 / static_cast<double>(m.blocks_k) : m.density();
  if (kept <= 2.0 * s.density && (random || kept >= 0.5 * s.density)) return "";
  char text[256];
  std::snprintf(text, sizeof text,
                "%s mask at density %g over %lldx%lld blocks of %dx%d: %s %.3g of the blocks, not within a factor 2",
                s.pattern.c_str(), s.density, static_cast<long long>(m.blocks_q), static_cast<long long>(m.blocks_k),
                s.block_q, s.block_k,
                s.pattern == "random" ? "one per row at least, i.e." : "the nearest structure keeps", kept);
  return text;
}

double visible_element_fraction(const BlockMask* mask, bool causal, std::int64_t heads, std::int64_t seqlen_q,
                                std::int64_t seqlen_kv) {
  const std::int64_t nq = seqlen_q, nk = seqlen_kv;
  if (heads < 1 || nq < 1 || nk < 1) throw std::invalid_argument("visible_element_fraction: empty problem");
  if (mask != nullptr && mask->heads != 1 && mask->heads != heads) {
    throw std::invalid_argument("visible_element_fraction: mask has " + std::to_string(mask->heads) +
                                " heads, problem " + std::to_string(heads));
  }
  if (mask != nullptr && (mask->block_q < 1 || mask->block_k < 1 || mask->blocks_q != ceil_div(nq, mask->block_q) ||
                          mask->blocks_k != ceil_div(nk, mask->block_k))) {
    throw std::invalid_argument("visible_element_fraction: mask shape does not match Nq x Nk");
  }
  // A shared mask gives every head the same count, so one head is enough.
  const std::int64_t distinct_heads = (mask != nullptr && mask->heads == heads) ? heads : 1;
  const auto row_end = [&](std::int64_t i) {  // causal: row i sees columns [0, end)
    return causal ? std::clamp<std::int64_t>(i + nk - nq + 1, 0, nk) : nk;
  };
  double visible = 0.0;
  if (mask == nullptr) {
    for (std::int64_t i = 0; i < nq; ++i) visible += static_cast<double>(row_end(i));
  } else {
    // Per query block, kept_before[bk] = kept columns in key blocks < bk; a row that sees columns
    // [0, end) then sees kept_before[end / bk_size] plus the part of block end / bk_size it reaches.
    std::vector<std::int64_t> kept_before(static_cast<std::size_t>(mask->blocks_k + 1));
    for (std::int64_t h = 0; h < distinct_heads; ++h) {
      for (std::int64_t bq = 0; bq < mask->blocks_q; ++bq) {
        for (std::int64_t bk = 0; bk < mask->blocks_k; ++bk) {
          const std::int64_t width = std::min<std::int64_t>(mask->block_k, nk - bk * mask->block_k);
          kept_before[static_cast<std::size_t>(bk + 1)] =
              kept_before[static_cast<std::size_t>(bk)] + (mask->at(h, bq, bk) ? width : 0);
        }
        const std::int64_t r1 = std::min<std::int64_t>((bq + 1) * mask->block_q, nq);
        for (std::int64_t i = bq * mask->block_q; i < r1; ++i) {
          const std::int64_t end = row_end(i), blk = end / mask->block_k;
          std::int64_t n = kept_before[static_cast<std::size_t>(blk)];
          if (blk < mask->blocks_k && mask->at(h, bq, blk)) n += end - blk * mask->block_k;
          visible += static_cast<double>(n);
        }
      }
    }
  }
  return visible / (static_cast<double>(distinct_heads) * static_cast<double>(nq) * static_cast<double>(nk));
}

}  // namespace fa::ref
