#pragma once
// Element-level visibility rules shared by the reference and the kernels.
#include <cstdint>

#include "core/hostdevice.hpp"

namespace fa {

// Causal mask, bottom-right aligned (the FlashAttention >= 2.1 and PyTorch convention when
// seqlen_q != seqlen_kv): query row i sees key column j iff j <= i + (Nk - Nq). With Nq > Nk the
// first Nq - Nk rows see nothing; their output is defined as zero (see reference/README.md).
FA_HD bool causal_visible(std::int64_t row, std::int64_t col, std::int64_t nq, std::int64_t nk) {
  return col <= row + (nk - nq);
}

}  // namespace fa
