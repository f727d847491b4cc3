// The flash3 block-mask lists (kernels/flash3/flash3_block_lists.hpp) against the mask element by element: a
// (query row, key) pair the mask and causality let through is covered by exactly the list entry (and warpgroup
// bit) the kernels walk, and no entry covers a pair the mask drops; a tile's list is empty exactly when the dense
// loop is, and its first entry alone is marked where the walk ends. Plus: an all-kept mask lists exactly the
// dense loop, and the block sizes flash3 takes.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "kernels/flash3/flash3_block_lists.hpp"
#include "kernels/flash3/flash3_tiles.hpp"
#include "reference/masks.hpp"

using namespace fa;
using namespace fa::flash3;

namespace {

struct Case {
  const char* pattern;
  double density;
  std::int64_t nq, nk;
  int d;
  bool causal;
};

bool causally_visible(const Case& c, std::int64_t row, std::int64_t key) {
  return !c.causal || key <= row + c.nk - c.nq;
}

// The entries of one tile's list.
std::vector<int> tile_entries(const BlockList& l, std::int64_t tile) {
  return {l.entries.begin() + l.offsets[static_cast<std::size_t>(tile)],
          l.entries.begin() + l.offsets[static_cast<std::size_t>(tile) + 1]};
}

void check_forward(const Case& c, const BlockMask& m, const BlockList& l) {
  const Fwd3Tile tile = fwd3_tile(c.d);
  const std::int64_t tiles = (c.nq + tile.bm() - 1) / tile.bm();
  REQUIRE(l.offsets.size() == static_cast<std::size_t>(m.heads * tiles + 1));
  for (std::int64_t h = 0; h < m.heads; ++h)
    for (std::int64_t t = 0; t < tiles; ++t) {
      const std::vector<int> e = tile_entries(l, h * tiles + t);
      const std::int64_t end =
          c.causal ? std::min(c.nk, std::min(c.nq, (t + 1) * tile.bm()) + c.nk - c.nq) : c.nk;
      REQUIRE(e.empty() == (end <= 0));
      for (std::size_t i = 0; i < e.size(); ++i) REQUIRE(((e[i] & kKvEntryLast) != 0) == (i == 0));
      REQUIRE(std::is_sorted(e.begin(), e.end()));
      for (std::int64_t row = t * tile.bm(); row < std::min(c.nq, (t + 1) * tile.bm()); ++row) {
        const int w = static_cast<int>((row - t * tile.bm()) / 64);
        for (std::int64_t key = 0; key < c.nk; ++key) {
          const std::int64_t n = key / tile.bn;
          const auto it = std::find_if(e.begin(), e.end(), [&](int x) { return x >> kKvEntryShift == n; });
          const bool walked = it != e.end() && ((*it >> w) & 1) != 0;
          const bool visible = causally_visible(c, row, key) && m.visible(h, row, key);
          INFO("head " << h << " row " << row << " key " << key);
          // Every visible pair is walked; a walked block the warpgroup keeps is kept by the mask for its rows.
          if (visible) REQUIRE(walked);
          if (walked) REQUIRE(m.visible(h, row, key));
        }
      }
    }
}

void check_backward(const Case& c, const BlockMask& m, const BlockList& l) {
  const Bwd3Tile tile = bwd3_tile(c.d);
  const std::int64_t blocks = (c.nk + tile.bn - 1) / tile.bn;
  REQUIRE(l.offsets.size() == static_cast<std::size_t>(m.heads * blocks + 1));
  for (std::int64_t h = 0; h < m.heads; ++h)
    for (std::int64_t n = 0; n < blocks; ++n) {
      const std::vector<int> e = tile_entries(l, h * blocks + n);
      REQUIRE(std::is_sorted(e.begin(), e.end()));
      REQUIRE(std::adjacent_find(e.begin(), e.end()) == e.end());
      for (std::int64_t key = n * tile.bn; key < std::min(c.nk, (n + 1) * tile.bn); ++key)
        for (std::int64_t row = 0; row < c.nq; ++row) {
          const bool walked = std::find(e.begin(), e.end(), row / tile.bm) != e.end();
          INFO("head " << h << " key " << key << " row " << row);
          if (causally_visible(c, row, key) && m.visible(h, row, key)) REQUIRE(walked);
          if (walked) REQUIRE(m.visible(h, row, key));
        }
    }
}

}  // namespace

TEST_CASE("flash3 block lists walk exactly the pairs the mask keeps", "[flash3][block_sparse]") {
  const Case cases[] = {
      {"local", 0.3, 1000, 1000, 64, false},  {"local", 0.3, 1000, 1000, 64, true},
      {"random", 0.25, 700, 900, 128, false}, {"random", 0.25, 900, 700, 128, true},
      {"butterfly", 0.4, 1024, 1024, 64, true}, {"strided", 0.3, 600, 1300, 96, false},
      {"random", 0.3, 640, 640, 256, true},   {"causal-blocks", 1.0, 500, 777, 64, false},
  };
  for (const Case& c : cases) {
    const BlockMask m = ref::make_block_mask(Sparsity{c.pattern, c.density, 128, 128}, 2, c.nq, c.nk, 7);
    const bool has_bwd = bwd3_tile(c.d).bm > 0;
    const Flash3BlockLists lists =
        flash3_block_lists(m, {.seqlen_q = c.nq, .seqlen_kv = c.nk, .head_dim = c.d, .causal = c.causal,
                               .backward = has_bwd});
    INFO(c.pattern << " " << c.nq << "x" << c.nk << " D " << c.d << (c.causal ? " causal" : ""));
    check_forward(c, m, lists.fwd);
    if (has_bwd) check_backward(c, m, lists.bwd);
  }
}

// Mask rows 0 and 2 keep nothing: their 128-row tiles (D 128) list block 0 for no warpgroup, so the kernels write
// O = 0 and lse = -inf there; the 192-row tile 0 of D 64 keeps its third warpgroup's rows (mask row 1) only.
TEST_CASE("flash3 block lists give a tile whose blocks are all dropped one entry for no warpgroup",
          "[flash3][block_sparse]") {
  const std::int64_t n = 512;
  BlockMask m = ref::make_block_mask(Sparsity{"dense", 1.0, 128, 128}, 1, n, n, 1);
  for (std::int64_t row : {0, 2})
    for (std::int64_t k = 0; k < m.blocks_k; ++k) m.bits[static_cast<std::size_t>(row * m.blocks_k + k)] = 0;
  for (bool causal : {false, true}) {
    const BlockList l128 =
        flash3_block_lists(m, {.seqlen_q = n, .seqlen_kv = n, .head_dim = 128, .causal = causal}).fwd;
    CHECK(tile_entries(l128, 0) == std::vector<int>{kKvEntryLast});
    CHECK(tile_entries(l128, 2) == std::vector<int>{kKvEntryLast});
    const BlockList l64 = flash3_block_lists(m, {.seqlen_q = n, .seqlen_kv = n, .head_dim = 64, .causal = causal}).fwd;
    const std::vector<int> t0 = tile_entries(l64, 0);
    REQUIRE_FALSE(t0.empty());
    CHECK(t0.front() == (kKvEntryLast | 4));
    for (int e : t0) CHECK((e & 7) == 4);
  }
}

TEST_CASE("flash3 block lists of an all-kept mask are the dense loops", "[flash3][block_sparse]") {
  for (bool causal : {false, true}) {
    const std::int64_t nq = 1000, nk = 1500;
    const BlockMask m = ref::make_block_mask(Sparsity{"dense", 1.0, 256, 128}, 1, nq, nk, 1);
    const Flash3BlockLists l =
        flash3_block_lists(m, {.seqlen_q = nq, .seqlen_kv = nk, .head_dim = 64, .causal = causal, .backward = true});
    const Fwd3Tile f = fwd3_tile(64);
    for (std::int64_t t = 0; t < (nq + f.bm() - 1) / f.bm(); ++t) {
      const std::int64_t end = causal ? std::min(nk, std::min(nq, (t + 1) * f.bm()) + nk - nq) : nk;
      std::vector<int> dense;
      for (std::int64_t n = 0; n < (end + f.bn - 1) / f.bn; ++n)
        dense.push_back(static_cast<int>(n << kKvEntryShift | (n == 0 ? kKvEntryLast : 0) | 7));
      CHECK(tile_entries(l.fwd, t) == dense);
    }
    const Bwd3Tile b = bwd3_tile(64);
    for (std::int64_t n = 0; n < (nk + b.bn - 1) / b.bn; ++n) {
      std::vector<int> dense;
      for (std::int64_t q = causal ? std::max<std::int64_t>(0, n * b.bn - (nk - nq)) / b.bm : 0;
           q < (nq + b.bm - 1) / b.bm; ++q)
        dense.push_back(static_cast<int>(q));
      CHECK(tile_entries(l.bwd, n) == dense);
    }
  }
}

TEST_CASE("flash3 block lists take mask blocks of 128 x 128 multiples", "[flash3][block_sparse]") {
  CHECK(flash3_mask_blocks_unsupported(128, 128).empty());
  CHECK(flash3_mask_blocks_unsupported(256, 384).empty());
  CHECK(flash3_mask_blocks_unsupported(64, 128) ==
        "flash3 block mask: blocks must be multiples of 128 x 128 (got 64x128)");
  CHECK_FALSE(flash3_mask_blocks_unsupported(256, 64).empty());
  const BlockMask m = ref::make_block_mask(Sparsity{"local", 0.5, 128, 64}, 1, 512, 512, 1);
  CHECK_THROWS_AS(flash3_block_lists(m, {.seqlen_q = 512, .seqlen_kv = 512, .head_dim = 64}), std::invalid_argument);
  const BlockMask ok = ref::make_block_mask(Sparsity{"local", 0.5, 128, 128}, 1, 512, 512, 1);
  CHECK_THROWS_AS(flash3_block_lists(ok, {.seqlen_q = 640, .seqlen_kv = 512, .head_dim = 64}), std::invalid_argument);
}
