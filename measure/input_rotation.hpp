#pragma once
// Cold timing of a point whose operands fit in the L2 cache: besides the L2 flush before each sample,
// the sampler cycles through several copies of the operands (as the CUTLASS profiler does), so that
// no sample can find its inputs left in L2 by the previous one, whatever the flush leaves behind.
#include <cstdint>

#include "measure/sampler.hpp"

namespace fa {

inline constexpr int kMaxInputCopies = 8;

// Copies to cycle through: 1 (no rotation) in hot mode or when the operands are larger than L2;
// otherwise enough that about 3x L2 of other operand bytes pass between two uses of one copy
// (1 + ceil(3 L2 / bytes)), at most kMaxInputCopies.
int input_rotation_copies(std::uint64_t operand_bytes, std::uint64_t l2_bytes, TimingMode mode);

}  // namespace fa
