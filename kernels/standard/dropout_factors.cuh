#pragma once
// Per-element dropout factors from the shared Philox keep-mask (core/philox.hpp): keep / (1 - p),
// i.e. 1/(1-p) for a kept element and 0 for a dropped one. One Philox call yields the words of
// four neighbouring columns, so a vector of V columns starting at a multiple of 4 costs V/4 calls.
#include "core/philox.hpp"
#include "kernels/standard/row_kernels.hpp"

namespace fa::standard {

template <int V>
__device__ __forceinline__ void dropout_factors(const DropoutSpec& d, const RowPos& r, int col0, float (&f)[V]) {
  static_assert(V % 4 == 0, "vectors cover whole Philox groups");
#pragma unroll
  for (int g = 0; g < V / 4; ++g) {
    const Philox4 w = dropout_words(d.seed, r.b, r.h, r.i, static_cast<std::uint32_t>(col0 >> 2) + g);
#pragma unroll
    for (int k = 0; k < 4; ++k) f[4 * g + k] = philox_word(w, k) >= d.threshold ? d.keep_scale : 0.0f;
  }
}

// The factor each element of P is multiplied by: the dropout factor when dropout is on, else 1.
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
