// The order in which flash3 runs causal work (kernels/flash3/flash3_tiles.hpp: causal_slot, read by the forward's
// tile decode and the backward's block decode): every work item is one (head, rank) and each pair comes once; a
// round hands out the same ranks of every head, heads in turn, and no rank of a later round comes before a rank
// of an earlier one (so the longest tiles, rank 0 first, start first); rounds are 8 tiles, or 8 rounds beyond 64.
#include <catch2/catch.hpp>

#include <vector>

#include "kernels/flash3/flash3_tiles.hpp"

using fa::flash3::causal_round_tiles;
using fa::flash3::causal_slot;

TEST_CASE("flash3 causal order: round size", "[flash3][causal_order]") {
  CHECK(causal_round_tiles(1) == 8);
  CHECK(causal_round_tiles(8) == 8);
  CHECK(causal_round_tiles(64) == 8);
  CHECK(causal_round_tiles(65) == 9);
  CHECK(causal_round_tiles(128) == 16);
  CHECK(causal_round_tiles(256) == 32);
}

TEST_CASE("flash3 causal order: every (head, rank) once, rounds of ranks in order", "[flash3][causal_order]") {
  for (unsigned tiles : {1u, 3u, 8u, 9u, 17u, 64u, 100u, 128u}) {
    for (unsigned heads : {1u, 2u, 5u, 32u}) {
      INFO("tiles per head " << tiles << ", heads " << heads);
      const unsigned chunk = static_cast<unsigned>(causal_round_tiles(static_cast<int>(tiles)));
      std::vector<int> seen(static_cast<std::size_t>(tiles) * heads, 0);
      unsigned last_round = 0;
      for (unsigned item = 0; item < tiles * heads; ++item) {
        const auto s = causal_slot(item, tiles, heads);
        REQUIRE(s.head < heads);
        REQUIRE(s.rank < tiles);
        ++seen[static_cast<std::size_t>(s.head) * tiles + s.rank];
        const unsigned round = s.rank / chunk;
        REQUIRE(round >= last_round);  // ranks of a round all come before those of the next
        last_round = round;
        if (item > 0) {
          const auto prev = causal_slot(item - 1, tiles, heads);
          if (prev.rank / chunk == round) REQUIRE(prev.head <= s.head);  // heads in turn within a round
        }
      }
      for (int n : seen) REQUIRE(n == 1);
    }
  }
}
