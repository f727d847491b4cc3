#pragma once
// What a point will hold in memory, estimated before it runs (run --dry-run).
#include <cstdint>

#include "core/problem.hpp"

namespace fa {

// Operands plus the kernel's declared workspace (operands only when the kernel is not built).
std::uint64_t estimated_point_bytes(const Point& pt);

}  // namespace fa
