#include "measure/input_rotation.hpp"

#include <algorithm>

namespace fa {

int input_rotation_copies(std::uint64_t operand_bytes, std::uint64_t l2_bytes, TimingMode mode) {
  if (mode != TimingMode::cold || operand_bytes == 0 || l2_bytes == 0 || operand_bytes > l2_bytes) return 1;
  const std::uint64_t others = (3 * l2_bytes + operand_bytes - 1) / operand_bytes;
  return static_cast<int>(std::min<std::uint64_t>(kMaxInputCopies, 1 + others));
}

InputRotation::InputRotation(AttentionKernel& kernel, const Point& pt, const BlockMask* mask, std::uint64_t seed,
                             const PointPlace& place, int want) {
  for (int i = 1; i < want; ++i) {
    try {
      auto copy = std::make_unique<PointSetup>(kernel, pt, mask, PointInputs{seed + static_cast<std::uint64_t>(i)},
                                               place);
      copy->prepare().run();
      extra_.push_back(std::move(copy));
    } catch (const OutOfMemory&) {
      break;
    }
  }
}

void InputRotation::launch(PreparedRun& own) {
  const std::size_t i = turn_++ % (extra_.size() + 1);
  if (i == 0) {
    own.run();
  } else {
    extra_[i - 1]->run().run();
  }
}

}  // namespace fa
