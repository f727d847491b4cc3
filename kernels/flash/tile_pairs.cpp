#include "kernels/flash/tile_pairs.hpp"

#include <algorithm>
#include <cmath>

namespace fa::flash {
namespace {

struct TileGrid {
  std::int64_t nq, nk;
  int br, bc;
  std::int64_t tq() const { return (nq + br - 1) / br; }
  std::int64_t tk() const { return (nk + bc - 1) / bc; }
  std::int64_t rows(std::int64_t qt) const { return std::min<std::int64_t>(br, nq - qt * br); }
  std::int64_t cols(std::int64_t kt) const { return std::min<std::int64_t>(bc, nk - kt * bc); }
};

// Whether some mask block overlapping rows [r0, r1) x columns [c0, c1) of `head` is kept.
bool any_kept(const BlockMask& mask, std::int64_t head, std::int64_t r0, std::int64_t r1, std::int64_t c0,
              std::int64_t c1) {
  const std::int64_t bq0 = r0 / mask.block_q, bq1 = (r1 - 1) / mask.block_q;
  const std::int64_t bk0 = c0 / mask.block_k, bk1 = (c1 - 1) / mask.block_k;
  for (std::int64_t bq = bq0; bq <= bq1; ++bq)
    for (std::int64_t bk = bk0; bk <= bk1; ++bk)
      if (mask.at(head, bq, bk) != 0) return true;
  return false;
}

// Tile pairs of one head.
PairSums head_pairs(const TileGrid& g, bool causal, const BlockMask* mask, std::int64_t head) {
  PairSums s;
  const std::int64_t off = g.nk - g.nq;  // bottom-right aligned causal: row i sees cols <= i + off
  for (std::int64_t qt = 0; qt < g.tq(); ++qt) {
    const std::int64_t r0 = qt * g.br, r1 = r0 + g.rows(qt);
    // Causal: key tiles [0, k_end) have a visible element for some row of this tile.
    std::int64_t k_end = g.tk();
    if (causal) {
      const std::int64_t last_col = r1 - 1 + off;  // last visible column of the tile's last row
      k_end = last_col < 0 ? 0 : std::min<std::int64_t>(g.tk(), last_col / g.bc + 1);
    }
    if (!mask) {
      if (k_end == 0) continue;
      const double cols = static_cast<double>(std::min<std::int64_t>(k_end * g.bc, g.nk));
      s.pairs += static_cast<double>(k_end);
      s.rows += static_cast<double>(k_end) * static_cast<double>(r1 - r0);
      s.cols += cols;
      continue;
    }
    for (std::int64_t kt = 0; kt < k_end; ++kt) {
      const std::int64_t c0 = kt * g.bc, c1 = c0 + g.cols(kt);
      if (!any_kept(*mask, head, r0, r1, c0, c1)) continue;
      s.pairs += 1;
      s.rows += static_cast<double>(r1 - r0);
      s.cols += static_cast<double>(c1 - c0);
    }
  }
  return s;
}

}  // namespace

PairSums loaded_pairs(const Problem& p, int br, int bc, const BlockMask* mask) {
  const TileGrid g{p.seqlen_q, p.seqlen_kv, br, bc};
  PairSums total;
  const std::int64_t distinct_heads = mask && mask->heads > 1 ? p.heads : 1;
  for (std::int64_t h = 0; h < distinct_heads; ++h) {
    const PairSums s = head_pairs(g, p.causal, mask, h);
    total.pairs += s.pairs, total.rows += s.rows, total.cols += s.cols;
  }
  const double mult = static_cast<double>(p.batch) * static_cast<double>(p.heads / distinct_heads);
  total.pairs *= mult, total.rows *= mult, total.cols *= mult;
  return total;
}

double live_heads(const Problem& p, double tiles_per_head, double concurrent) {
  const double bh = static_cast<double>(p.batch * p.heads);
  if (tiles_per_head <= 0) return 1;
  return std::min(bh, std::ceil(concurrent / tiles_per_head) + 1.0);
}

}  // namespace fa::flash
