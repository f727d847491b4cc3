#pragma once
// Where the flash3 backward finds the dropout keep flags (the shared mask of core/philox.hpp) of its
// transposed fragments. Plain C++ (host and device): the kernel uses it, and a CPU test replays a whole
// warpgroup with it against fa::dropout_keep.
//
// A consumer warpgroup's tile of one step is 64 queries (the block) x 64 keys (its slice). Element
// (query q, key k) is P[q, k]: its Philox call covers queries q, q + 8 of a 16-row block and, in each 8-key
// block of a 32-key group, one key pair. In the backward's fragment (keys are rows) a thread holds keys
// k, k + 8 and pairs of neighbouring queries, so its 32 elements touch 8 calls, 4 elements each, and each
// call would be drawn by 4 threads. So the warpgroup draws each of its tile's 256 calls once (2 per thread)
// as 16-bit keep masks into shared memory, and every thread gathers its flags from the 8 masks they live in.
#include <cstdint>

#include "core/hostdevice.hpp"
#include "core/philox.hpp"

namespace fa::flash3 {

inline constexpr int kBwdMaskCalls = 256;  // per warpgroup tile and step

// Element j (0..31) of a thread's m64n64 fp32 fragment: key 16 warp + g + 8 ((j / 2) % 2) of the slice,
// query 8 (j / 4) + 2 t + j % 2 of the block (g = lane / 4, t = lane % 4).
FA_HD int bwd_fragment_key(int j, int warp, int g) { return 16 * warp + g + 8 * ((j / 2) % 2); }
FA_HD int bwd_fragment_query(int j, int t) { return 8 * (j / 4) + 2 * t + j % 2; }

// Mask index of the call that covers (query ql, key kl) of the tile: 16-row block, row within its
// 8-row half, 32-key group, key pair in the group.
FA_HD int bwd_mask_index(int ql, int kl) { return ((ql >> 4) * 8 + (ql & 7)) * 8 + (kl >> 5) * 4 + ((kl >> 1) & 3); }

// Counter words of call i for query block m (rows 64 m ..) and a slice starting at key `key0` (a multiple
// of 64): dropout_counter_row / dropout_counter_col of its elements.
FA_HD std::uint32_t bwd_mask_counter_row(int i, int m) { return static_cast<std::uint32_t>(32 * m + (i >> 3)); }
FA_HD std::uint32_t bwd_mask_counter_col(int i, int key0) {
  return static_cast<std::uint32_t>((key0 / 32 + ((i >> 2) & 1)) * 4 + (i & 3));
}

// This thread's keep flags, bit j for element j; load(i) returns the 16-bit mask of call i (bit b = byte b
// of the call kept). Each of the 8 masks serves 4 elements: queries ql, ql + 8 and keys kl, kl + 8.
template <class Load>
FA_HD std::uint32_t bwd_gather_keep_flags(Load&& load, int warp, int g, int t) {
  std::uint32_t keep = 0;
  for (int ii = 0; ii < 4; ++ii)
    for (int e = 0; e < 2; ++e) {
      // bwd_mask_index(16 ii + 2 t + e, 16 warp + g), with t < 4 and g < 8 spelt out.
      const std::uint32_t mask = load((ii * 8 + 2 * t + e) * 8 + (warp >> 1) * 4 + ((g >> 1) & 3));
      for (int lo = 0; lo < 2; ++lo)
        for (int hh = 0; hh < 2; ++hh) {
          // dropout_byte(ql + 8 lo, kl + 8 hh), with ql % 16 < 8 and kl % 16 < 8 spelt out.
          const int byte = 8 * lo + 2 * (2 * (warp & 1) + hh) + (g & 1);
          keep |= ((mask >> byte) & 1u) << (4 * (2 * ii + lo) + 2 * hh + e);
        }
    }
  return keep;
}

}  // namespace fa::flash3
