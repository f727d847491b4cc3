// The flash3 backward's dropout bookkeeping (kernels/flash3/flash3_bwd_dropout.hpp), replayed on the CPU for
// a whole consumer warpgroup: the 256 masks it draws per step and the flags each of its 128 threads gathers
// from them are exactly the shared keep-mask (fa::dropout_keep, core/philox.hpp) at every element's (query,
// key), and every drawn flag serves exactly one element. The GPU test test_flash3_bwd.cpp (dropout probe)
// checks the kernel end to end.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "core/philox.hpp"
#include "kernels/flash3/flash3_bwd_dropout.hpp"

namespace {

struct Replay {
  std::int64_t checked = 0, mismatches = 0, reused = 0;
};

// One step of one warpgroup: query block m, keys [key0, key0 + 64).
Replay replay_tile(std::uint64_t seed, std::uint32_t t8, std::uint32_t b, std::uint32_t h, int m, int key0) {
  std::vector<std::uint32_t> masks(fa::flash3::kBwdMaskCalls);
  for (int i = 0; i < fa::flash3::kBwdMaskCalls; ++i) {
    const std::uint32_t row = fa::flash3::bwd_mask_counter_row(i, m), col = fa::flash3::bwd_mask_counter_col(i, key0);
    const fa::Philox4 r = fa::dropout_random(seed, b, h, row, col);
    masks[static_cast<std::size_t>(i)] = fa::dropout_keep_mask16(r, t8);
  }
  std::vector<int> uses(static_cast<std::size_t>(fa::flash3::kBwdMaskCalls) * 16, 0);
  Replay r;
  for (int warp = 0; warp < 4; ++warp)
    for (int lane = 0; lane < 32; ++lane) {
      const int g = lane / 4, t = lane % 4;
      const std::uint32_t keep =
          fa::flash3::bwd_gather_keep_flags([&](int i) { return masks[static_cast<std::size_t>(i)]; }, warp, g, t);
      for (int j = 0; j < 32; ++j) {
        const int ql = fa::flash3::bwd_fragment_query(j, t), kl = fa::flash3::bwd_fragment_key(j, warp, g);
        const bool want = fa::dropout_keep(seed, t8, b, h, static_cast<std::uint32_t>(64 * m + ql),
                                           static_cast<std::uint32_t>(key0 + kl));
        ++r.checked;
        if ((((keep >> j) & 1u) != 0) != want) ++r.mismatches;
        const auto byte = fa::dropout_byte(static_cast<std::uint32_t>(ql), static_cast<std::uint32_t>(kl));
        const int flag = fa::flash3::bwd_mask_index(ql, kl) * 16 + static_cast<int>(byte);
        if (++uses[static_cast<std::size_t>(flag)] > 1) ++r.reused;
      }
    }
  return r;
}

}  // namespace

TEST_CASE("flash3 backward dropout: a warpgroup's gathered keep flags are the shared mask, each drawn flag used once",
          "[flash3][dropout]") {
  std::uint64_t seed = 0x5eedf1a53ULL;
  for (std::uint32_t t8 : {128u, 44u, 1u})
    for (int m : {0, 1, 7})
      for (int key0 : {0, 64, 448}) {
        const Replay r = replay_tile(++seed, t8, 3, 5, m, key0);
        INFO("t8 " << t8 << " query block " << m << " keys from " << key0 << ": " << r.mismatches << " of " << r.checked
                   << " flags differ, " << r.reused << " drawn flags used twice");
        CHECK(r.checked == 128 * 32);
        CHECK(r.mismatches == 0);
        CHECK(r.reused == 0);
      }
}
