// The order in which flash3 runs causal work (kernels/flash3/flash3_tiles.hpp: causal_slot, read by the forward's
// tile decode and the backward's block decode): every work item is one (head, rank) and each pair comes once; a
// round hands out the same ranks of every head, heads in turn, and no rank of a later round comes before a rank
// of an earlier one (so the longest tiles, rank 0 first, start first); and the round sizes of each kernel.
#include <catch2/catch.hpp>

#include <vector>

#include "kernels/flash3/flash3_tiles.hpp"

using fa::flash3::bwd_causal_round_tiles;
using fa::flash3::causal_slot;
using fa::flash3::fwd_causal_round_tiles;

TEST_CASE("flash3 causal order: round sizes", "[flash3][causal_order]") {
  // Forward: rounds of 8 tiles, 8 rounds past 64 tiles per head.
  CHECK(fwd_causal_round_tiles(1) == 8);
  CHECK(fwd_causal_round_tiles(64) == 8);
  CHECK(fwd_causal_round_tiles(65) == 9);
  CHECK(fwd_causal_round_tiles(128) == 16);
  CHECK(fwd_causal_round_tiles(256) == 32);
  // Backward: rounds of 8 blocks up to 64 per head, then one round per head.
  CHECK(bwd_causal_round_tiles(8) == 8);
  CHECK(bwd_causal_round_tiles(64) == 8);
  CHECK(bwd_causal_round_tiles(65) == 65);
  CHECK(bwd_causal_round_tiles(256) == 256);
}

namespace {

// Every item of `tiles` x `heads` in rounds of `chunk`: each (head, rank) once, rounds in order, heads in turn.
void check_order(unsigned tiles, unsigned heads, unsigned chunk) {
  INFO("tiles per head " << tiles << ", heads " << heads << ", rounds of " << chunk);
  std::vector<int> seen(static_cast<std::size_t>(tiles) * heads, 0);
  unsigned last_round = 0;
  for (unsigned item = 0; item < tiles * heads; ++item) {
    const auto s = causal_slot(item, tiles, heads, chunk);
    REQUIRE(s.head < heads);
    REQUIRE(s.rank < tiles);
    ++seen[static_cast<std::size_t>(s.head) * tiles + s.rank];
    const unsigned round = s.rank / chunk;
    REQUIRE(round >= last_round);  // the ranks of a round all come before those of the next
    last_round = round;
    if (item > 0) {
      const auto prev = causal_slot(item - 1, tiles, heads, chunk);
      if (prev.rank / chunk == round) REQUIRE(prev.head <= s.head);  // heads in turn within a round
    }
  }
  for (int n : seen) REQUIRE(n == 1);
}

}  // namespace

TEST_CASE("flash3 causal order: every (head, rank) once, rounds of ranks in order", "[flash3][causal_order]") {
  for (unsigned tiles : {1u, 3u, 8u, 9u, 17u, 64u, 100u, 128u})
    for (unsigned heads : {1u, 2u, 5u, 32u})
      for (int chunk : {fwd_causal_round_tiles(static_cast<int>(tiles)),
                        bwd_causal_round_tiles(static_cast<int>(tiles)), 1, static_cast<int>(tiles)})
        check_order(tiles, heads, static_cast<unsigned>(chunk));
}
