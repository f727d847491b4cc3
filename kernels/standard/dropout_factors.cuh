#pragma once
// Per-element dropout factors from the shared Philox keep-mask (core/philox.hpp): keep / (1 - p),
// i.e. 1/(1-p) for a kept element and 0 for a dropped one.
//
// One Philox call of the mask covers 16 elements: a column pair 2t, 2t+1 in each of the four
// 8-column blocks of a 32-column group, in rows r and r + 8. The row kernels hold one row per warp,
// so a call serves 8 of their elements (its other 8 bytes are row r +- 8's). The lanes holding one
// 32-column group (4 lanes of 8 columns, or 8 lanes of 4 for fp32) each draw the call of one t and
// swap bytes with shuffles: one call per 8 elements instead of one per 2 if every lane drew the
// four calls its own 8 columns touch.
#include <cuda_runtime.h>

#include <cstdint>

#include "core/philox.hpp"
#include "kernels/standard/row_kernels.hpp"

namespace fa::standard {

namespace dropout_detail {

__device__ __forceinline__ std::uint32_t prmt(std::uint32_t a, std::uint32_t b, std::uint32_t sel) {
  return __byte_perm(a, b, sel);  // selectors below use byte indices only (no sign mode)
}

// The random bytes of columns [8q, 8q + 8) of a 32-column group of row r, byte e = column 8q + e,
// for q = lane % 4. Lane j of a quad draws the call of column pair t = j, which holds the two bytes
// of every block q for pair j (words x, y for rows r % 16 < 8, z, w for the others); a 4 x 4
// transpose of 16-bit pieces over the quad (two xor-shuffles) gives lane j block j of every t.
__device__ __forceinline__ uint2 quad_block_bytes(const DropoutSpec& d, const RowPos& r, std::uint32_t group,
                                                  unsigned lane) {
  const unsigned j = lane & 3u;
  const Philox4 R = dropout_random(d.seed, r.b, r.h, dropout_counter_row(r.i), group * 4u + j);
  const bool low_rows = ((r.i >> 3) & 1u) == 0;
  const std::uint32_t blocks01 = low_rows ? R.x : R.z, blocks23 = low_rows ? R.y : R.w;
  // Stage 1 (lanes j, j ^ 2): keep the word of blocks 2(j/2), 2(j/2) + 1 and get the partner's.
  const std::uint32_t own = (j & 2u) ? blocks23 : blocks01;
  const std::uint32_t partner = __shfl_xor_sync(0xffffffffu, (j & 2u) ? blocks01 : blocks23, 2);
  // Stage 2 (lanes j, j ^ 1): keep the half of block j of both words (pairs t = j, j ^ 2), send the
  // other half; the partner's reply is block j of pairs t = j ^ 1, j ^ 3.
  const bool odd = j & 1u;
  const std::uint32_t kept = prmt(own, partner, odd ? 0x7632u : 0x5410u);
  const std::uint32_t got = __shfl_xor_sync(0xffffffffu, prmt(own, partner, odd ? 0x5410u : 0x7632u), 1);
  // Order the four pieces by t: kept = {t = j, t = j ^ 2}, got = {t = j ^ 1, t = j ^ 3}.
  const bool hi = j & 2u;
  const std::uint32_t sel01 = odd ? (hi ? 0x3276u : 0x1054u) : (hi ? 0x7632u : 0x5410u);
  const std::uint32_t sel23 = odd ? (hi ? 0x1054u : 0x3276u) : (hi ? 0x5410u : 0x7632u);
  return make_uint2(prmt(kept, got, sel01), prmt(kept, got, sel23));
}

}  // namespace dropout_detail

// Factors of the V columns [col0, col0 + V) of row r (V = 8 or 4, col0 a multiple of V). Must be
// called by all 32 lanes of the warp together, with lane L holding the vector col0 / V = L mod 32
// (consecutive lanes, consecutive vectors), whatever the row length: lanes past it compute unused
// values.
template <int V>
__device__ __forceinline__ void dropout_factors(const DropoutSpec& d, const RowPos& r, int col0, float (&f)[V]) {
  static_assert(V == 8 || V == 4, "vectors of 8 (fp16/bf16) or 4 (fp32) columns");
  const unsigned lane = threadIdx.x & 31u;
  const auto group = static_cast<std::uint32_t>(col0) >> 5;
  const uint2 quad = dropout_detail::quad_block_bytes(d, r, group, lane);
  std::uint32_t bytes[V / 4];
  if constexpr (V == 8) {
    bytes[0] = quad.x, bytes[1] = quad.y;
  } else {
    // 8 lanes per group; both quads of it computed the same blocks. Lane 2q + s wants half s of block q.
    const int src = static_cast<int>((lane & ~7u) | ((lane & 7u) >> 1));
    const std::uint32_t lo = __shfl_sync(0xffffffffu, quad.x, src), hi = __shfl_sync(0xffffffffu, quad.y, src);
    bytes[0] = (lane & 1u) ? hi : lo;
  }
  const std::uint32_t t8x4 = d.threshold * 0x01010101u;
#pragma unroll
  for (int w = 0; w < V / 4; ++w) {
    const std::uint32_t flags = dropout_keep_msb(bytes[w], t8x4);
#pragma unroll
    for (int k = 0; k < 4; ++k) f[4 * w + k] = (flags >> (8 * k + 7)) & 1u ? d.keep_scale : 0.0f;
  }
}

// The factor each element of P is multiplied by: the dropout factor when dropout is on, else 1.
// Same calling rule as dropout_factors (whole warp, lane L on vector L mod 32).
template <int V>
__device__ __forceinline__ void element_factors(const DropoutSpec& d, const RowPos& r, int col0, float (&f)[V]) {
  if (d.enabled) {
    dropout_factors<V>(d, r, col0, f);
  } else {
#pragma unroll
    for (int e = 0; e < V; ++e) f[e] = 1.0f;
  }
}

}  // namespace fa::standard
