// Block-mask generators: shapes, structure of each pattern, densities, reproducibility, and the
// exact visible-element count.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <set>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "reference/masks.hpp"

using namespace fa;

namespace {

BlockMask make(const std::string& pattern, double density, int bq, int bk, std::int64_t heads, std::int64_t nq,
               std::int64_t nk, std::uint64_t seed = 1) {
  return ref::make_block_mask(Sparsity{pattern, density, bq, bk}, heads, nq, nk, seed);
}

std::vector<std::int64_t> kept_cols(const BlockMask& m, std::int64_t h, std::int64_t bq) {
  std::vector<std::int64_t> cols;
  for (std::int64_t bk = 0; bk < m.blocks_k; ++bk) {
    if (m.at(h, bq, bk)) cols.push_back(bk);
  }
  return cols;
}

}  // namespace

TEST_CASE("block masks have shape [H or 1, ceil(Nq/bq), ceil(Nk/bk)]", "[reference]") {
  for (const char* pat : {"dense", "causal-blocks", "local", "strided", "random", "butterfly"}) {
    for (auto [nq, nk, bq, bk] : std::vector<std::array<std::int64_t, 4>>{
             {512, 512, 128, 128}, {500, 300, 128, 64}, {1, 1000, 64, 128}, {257, 129, 32, 16}}) {
      const BlockMask m = make(pat, 0.4, static_cast<int>(bq), static_cast<int>(bk), 3, nq, nk);
      INFO(pat << " " << nq << "x" << nk << " blocks " << bq << "x" << bk);
      CHECK(m.heads == (std::string(pat) == "random" ? 3 : 1));
      CHECK(m.blocks_q == (nq + bq - 1) / bq);
      CHECK(m.blocks_k == (nk + bk - 1) / bk);
      CHECK(m.block_q == bq);
      CHECK(m.block_k == bk);
      CHECK(static_cast<std::int64_t>(m.bits.size()) == m.heads * m.blocks_q * m.blocks_k);
      for (std::uint8_t b : m.bits) REQUIRE(b <= 1);
    }
  }
}

TEST_CASE("dense mask keeps every block", "[reference]") {
  const BlockMask m = make("dense", 0.3, 64, 64, 2, 300, 200);
  CHECK(m.density() == 1.0);
}

TEST_CASE("causal-blocks keeps exactly the blocks that intersect the causal triangle", "[reference]") {
  for (auto [nq, nk, bq, bk] : std::vector<std::array<std::int64_t, 4>>{
           {64, 64, 8, 8}, {50, 70, 8, 16}, {70, 50, 16, 8}, {33, 33, 5, 7}, {10, 3, 4, 2}}) {
    const BlockMask m = make("causal-blocks", 0.5, static_cast<int>(bq), static_cast<int>(bk), 4, nq, nk);
    INFO(nq << "x" << nk << " blocks " << bq << "x" << bk);
    REQUIRE(m.heads == 1);
    for (std::int64_t a = 0; a < m.blocks_q; ++a) {
      for (std::int64_t c = 0; c < m.blocks_k; ++c) {
        bool any = false;  // brute force over the elements of the block
        for (std::int64_t i = a * bq; i < std::min((a + 1) * bq, nq); ++i) {
          for (std::int64_t j = c * bk; j < std::min((c + 1) * bk, nk); ++j) any = any || j <= i + (nk - nq);
        }
        REQUIRE(static_cast<bool>(m.at(0, a, c)) == any);
      }
    }
  }
}

TEST_CASE("local mask is a symmetric band around the diagonal with the target density", "[reference]") {
  for (double target : {0.1, 0.25, 0.5, 0.8}) {
    const BlockMask m = make("local", target, 64, 64, 2, 32 * 64, 32 * 64);  // 32 x 32 blocks
    INFO("target " << target << " got " << m.density());
    CHECK(std::abs(m.density() - target) < 0.04);  // one band step is ~2/32 of density
    for (std::int64_t a = 0; a < m.blocks_q; ++a) {
      REQUIRE(m.at(0, a, a));
      for (std::int64_t c = 0; c < m.blocks_k; ++c) {
        REQUIRE(m.at(0, a, c) == m.at(0, c, a));                                      // symmetric
        if (a + 1 < m.blocks_q && c + 1 < m.blocks_k) REQUIRE(m.at(0, a, c) == m.at(0, a + 1, c + 1));  // Toeplitz
      }
      const auto cols = kept_cols(m, 0, a);
      REQUIRE(cols.back() - cols.front() + 1 == static_cast<std::int64_t>(cols.size()));  // contiguous
    }
  }
  CHECK(make("local", 1.0, 64, 64, 1, 640, 640).density() == 1.0);
  CHECK(make("local", 0.01, 64, 64, 1, 640, 640).density() == Approx(0.1));  // diagonal only: 10 of 100
}

TEST_CASE("local/strided/butterfly diagonals follow bottom-right causal alignment", "[reference]") {
  // At the lowest density each pattern keeps only the diagonal block, which must be the last key
  // block that causal attention reaches from that query block.
  for (auto [nq, nk] : std::vector<std::pair<std::int64_t, std::int64_t>>{{256, 256}, {128, 320}, {320, 128}}) {
    const BlockMask causal = make("causal-blocks", 1.0, 32, 32, 1, nq, nk);
    for (const char* pat : {"local", "strided", "butterfly"}) {
      const BlockMask m = make(pat, 1e-6, 32, 32, 1, nq, nk);
      INFO(pat << " " << nq << "x" << nk);
      for (std::int64_t a = 0; a < m.blocks_q; ++a) {
        const auto want = kept_cols(causal, 0, a);
        if (want.empty()) continue;  // rows that causal leaves empty have no diagonal
        const auto got = kept_cols(m, 0, a);
        REQUIRE(got.size() == 1);
        CHECK(got[0] == want.back());
      }
    }
  }
}

TEST_CASE("strided mask: diagonal plus evenly spaced columns shared by all rows", "[reference]") {
  for (double target : {0.1, 0.25, 0.5}) {
    const BlockMask m = make("strided", target, 32, 32, 1, 32 * 32, 32 * 32);  // 32 x 32 blocks
    INFO("target " << target << " got " << m.density());
    CHECK(std::abs(m.density() - target) < 0.04);
    // Columns kept in every row are the summary columns; each row adds only its diagonal.
    std::set<std::int64_t> common;
    for (std::int64_t c = 0; c < m.blocks_k; ++c) {
      bool all = true;
      for (std::int64_t a = 0; a < m.blocks_q; ++a) all = all && m.at(0, a, c);
      if (all) common.insert(c);
    }
    REQUIRE(common.size() >= 2);
    const std::vector<std::int64_t> cs(common.begin(), common.end());
    const std::int64_t stride = cs[1] - cs[0];
    CHECK(cs[0] == stride - 1);
    for (std::size_t i = 1; i < cs.size(); ++i) CHECK(cs[i] - cs[i - 1] == stride);
    for (std::int64_t a = 0; a < m.blocks_q; ++a) {
      REQUIRE(m.at(0, a, a));
      for (std::int64_t c = 0; c < m.blocks_k; ++c) {
        if (c != a) REQUIRE(static_cast<bool>(m.at(0, a, c)) == (common.count(c) == 1));
      }
    }
  }
}

TEST_CASE("butterfly mask links blocks whose indices differ in one bit", "[reference]") {
  for (std::int64_t nb : {16, 12}) {  // power of two and not
    double prev_density = 0;
    for (double target : {0.01, 0.15, 0.25}) {  // up to the density all levels give
      const BlockMask m = make("butterfly", target, 8, 8, 1, nb * 8, nb * 8);
      INFO(nb << " blocks, target " << target << " got " << m.density());
      CHECK(m.density() >= prev_density);  // more density asked, never fewer levels
      prev_density = m.density();
      for (std::int64_t a = 0; a < nb; ++a) {
        REQUIRE(m.at(0, a, a));
        for (std::int64_t c = 0; c < nb; ++c) {
          if (m.at(0, a, c)) REQUIRE(std::popcount(static_cast<std::uint64_t>(a ^ c)) <= 1);
        }
      }
    }
    CHECK(make("butterfly", 0.01, 8, 8, 1, nb * 8, nb * 8).density() == Approx(1.0 / static_cast<double>(nb)));
  }
  // All levels (1 + log2(16) blocks per row): every partner a ^ 2^i is kept.
  const BlockMask full = make("butterfly", 5.0 / 16.0, 8, 8, 1, 128, 128);
  CHECK(full.density() == Approx(5.0 / 16.0));
  for (std::int64_t a = 0; a < 16; ++a)
    for (std::int64_t i = 0; i < 4; ++i) CHECK(full.at(0, a, a ^ (std::int64_t{1} << i)));
}

TEST_CASE("butterfly reaches densities above all levels through groups of key blocks", "[reference]") {
  // 64 key blocks (N = 8192 in blocks of 128): all levels give 7/64 = 0.109; 0.25 and 0.5 used to
  // give that same mask. Groups of 4 and 8 blocks reach them exactly.
  std::set<std::vector<std::uint8_t>> masks;
  for (const auto& [target, group] : {std::pair{0.25, 4}, std::pair{0.5, 8}}) {
    const BlockMask m = make("butterfly", target, 128, 128, 1, 8192, 8192);
    INFO("target " << target << " got " << m.density());
    CHECK(m.density() == Approx(target));
    masks.insert(m.bits);
    // The structure of a butterfly over groups: whole groups kept, linked when their indices differ
    // in at most one bit.
    for (std::int64_t a = 0; a < 64; ++a) {
      for (std::int64_t c = 0; c < 64; ++c) {
        CHECK(m.at(0, a, c) == m.at(0, a, c / group * group));
        if (m.at(0, a, c)) CHECK(std::popcount(static_cast<std::uint64_t>(a / group ^ c / group)) <= 1);
      }
    }
  }
  CHECK(masks.size() == 2);
  CHECK(make("butterfly", 1.0, 128, 128, 1, 8192, 8192).density() == 1.0);
  // Non power-of-two block counts, short last group included: every density within one group step.
  for (double target : {0.3, 0.6, 0.9}) {
    const BlockMask m = make("butterfly", target, 64, 64, 1, 12 * 64, 12 * 64);
    INFO("12 blocks, target " << target << " got " << m.density());
    CHECK(std::abs(m.density() - target) < 0.2);
  }
}

TEST_CASE("density_out_of_reach refuses masks that cannot stand for the density asked", "[reference]") {
  const auto reach = [](const char* pattern, double density, std::int64_t n) {
    return ref::density_out_of_reach(Sparsity{pattern, density, 128, 128}, 2, n, n, 1);
  };
  // 8 key blocks: every structured pattern keeps at least the diagonal, 1/8 of the blocks.
  const std::string local = reach("local", 0.01, 1024);
  CHECK_THAT(local, Catch::Contains("local") && Catch::Contains("0.125"));
  CHECK(reach("local", 0.1, 1024).empty());
  CHECK_FALSE(reach("strided", 0.02, 1024).empty());
  CHECK_FALSE(reach("butterfly", 0.05, 1024).empty());
  CHECK(reach("butterfly", 0.5, 8192).empty());  // reached through groups
  CHECK(reach("butterfly", 0.25, 8192).empty());
  // random: only its floor of one block per row counts.
  CHECK_THAT(reach("random", 0.01, 1024), Catch::Contains("random"));
  CHECK(reach("random", 0.1, 1024).empty());
  // No density knob.
  CHECK(reach("dense", 0.01, 1024).empty());
  CHECK(reach("causal-blocks", 0.01, 1024).empty());
}

TEST_CASE("random mask: seeded, per head, density ~ target, never an empty row", "[reference]") {
  const double target = 0.3;
  const BlockMask a = make("random", target, 16, 16, 4, 32 * 16, 32 * 16, 42);  // 4 x 32 x 32 blocks
  const BlockMask b = make("random", target, 16, 16, 4, 32 * 16, 32 * 16, 42);
  const BlockMask c = make("random", target, 16, 16, 4, 32 * 16, 32 * 16, 43);
  CHECK(a.bits == b.bits);
  CHECK(a.bits != c.bits);
  const std::size_t per_head = a.bits.size() / 4;
  CHECK(!std::equal(a.bits.begin(), a.bits.begin() + per_head, a.bits.begin() + per_head));  // heads differ
  const double n = static_cast<double>(a.bits.size());
  CHECK(std::abs(a.density() - target) < 5 * std::sqrt(target * (1 - target) / n));

  const BlockMask sparse = make("random", 0.01, 16, 16, 4, 32 * 16, 32 * 16, 42);
  for (std::int64_t h = 0; h < 4; ++h) {
    for (std::int64_t r = 0; r < sparse.blocks_q; ++r) REQUIRE(!kept_cols(sparse, h, r).empty());
  }
  CHECK(make("random", 1.0, 16, 16, 2, 100, 100).density() == 1.0);
}

TEST_CASE("block mask generators reject bad parameters", "[reference]") {
  CHECK_THROWS_AS(make("checkerboard", 0.5, 64, 64, 1, 128, 128), UsageError);
  CHECK_THROWS_AS(make("local", 0.0, 64, 64, 1, 128, 128), UsageError);
  CHECK_THROWS_AS(make("random", 1.5, 64, 64, 1, 128, 128), UsageError);
  CHECK_THROWS_AS(make("local", 0.5, 0, 64, 1, 128, 128), UsageError);
  CHECK_NOTHROW(make("causal-blocks", 0.0, 64, 64, 1, 128, 128));  // density unused there
}

TEST_CASE("visible_element_fraction counts exactly", "[reference]") {
  struct Case {
    const char* pattern;
    std::int64_t nq, nk;
    int bq, bk;
  };
  for (const Case& cs : {Case{"random", 37, 53, 8, 16}, Case{"local", 64, 64, 16, 16}, Case{"strided", 70, 45, 16, 8},
                         Case{"butterfly", 100, 100, 12, 12}, Case{"causal-blocks", 45, 70, 8, 8}}) {
    const std::int64_t heads = 3;
    const BlockMask m = make(cs.pattern, 0.4, cs.bq, cs.bk, heads, cs.nq, cs.nk, 9);
    for (bool causal : {false, true}) {
      for (const BlockMask* mask : {static_cast<const BlockMask*>(nullptr), &m}) {
        double count = 0;
        for (std::int64_t h = 0; h < heads; ++h) {
          for (std::int64_t i = 0; i < cs.nq; ++i) {
            for (std::int64_t j = 0; j < cs.nk; ++j) {
              const bool vis = (!causal || j <= i + cs.nk - cs.nq) && (mask == nullptr || mask->visible(h, i, j));
              count += vis ? 1 : 0;
            }
          }
        }
        const double want = count / static_cast<double>(heads * cs.nq * cs.nk);
        INFO(cs.pattern << " causal=" << causal << " mask=" << (mask != nullptr));
        REQUIRE(want > 0);
        CHECK(ref::visible_element_fraction(mask, causal, heads, cs.nq, cs.nk) == Approx(want).epsilon(1e-14));
      }
    }
  }
}
