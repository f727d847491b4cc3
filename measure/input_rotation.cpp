#include "measure/input_rotation.hpp"

#include <algorithm>

namespace fa {

int input_rotation_copies(std::uint64_t operand_bytes, std::uint64_t l2_bytes, TimingMode mode) {
  if (mode != TimingMode::cold || operand_bytes == 0 || l2_bytes == 0 || operand_bytes > l2_bytes) return 1;
  const std::uint64_t others = (3 * l2_bytes + operand_bytes - 1) / operand_bytes;
  return static_cast<int>(std::min<std::uint64_t>(kMaxInputCopies, 1 + others));
}

}  // namespace fa
