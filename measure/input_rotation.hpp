#pragma once
// Cold timing of a point whose operands fit in the L2 cache: besides the L2 flush before each sample,
// the sampler cycles through several copies of the operands (as the CUTLASS profiler does), so that
// no sample can find its inputs left in L2 by the previous one, whatever the flush leaves behind.
#include <cstdint>
#include <memory>
#include <vector>

#include "core/block_mask.hpp"
#include "core/kernel.hpp"
#include "core/problem.hpp"
#include "measure/point_setup.hpp"
#include "measure/sampler.hpp"

namespace fa {

inline constexpr int kMaxInputCopies = 8;

// Copies to cycle through: 1 (no rotation) in hot mode or when the operands are larger than L2;
// otherwise enough that about 3x L2 of other operand bytes pass between two uses of one copy
// (1 + ceil(3 L2 / bytes)), at most kMaxInputCopies.
int input_rotation_copies(std::uint64_t operand_bytes, std::uint64_t l2_bytes, TimingMode mode);

// The copies beyond the point's own: each with its own operands (random, seeded seed + i for copy i)
// and prepared run, run once here. Their memory is not the point's: a row reports one invocation's
// operands and scratch. Copies that do not fit in memory are left out (rotation uses those that did;
// the flush still runs before every sample).
class InputRotation {
 public:
  // `want`: copies in all, the point's own included (input_rotation_copies).
  InputRotation(AttentionKernel& kernel, const Point& pt, const BlockMask* mask, std::uint64_t seed,
                const PointPlace& place, int want);
  // Copies rotated, the point's own included; 1 when no extra copy was made.
  int copies() const { return static_cast<int>(extra_.size()) + 1; }
  // Launches the next copy in turn; copy 0 is the point's own prepared run.
  void launch(PreparedRun& own);

 private:
  std::vector<std::unique_ptr<PointSetup>> extra_;
  std::size_t turn_ = 0;
};

}  // namespace fa
