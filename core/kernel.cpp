#include "core/kernel.hpp"

namespace fa {

std::string_view to_string(Backend b) { return b == Backend::host ? "host" : "cuda"; }

}  // namespace fa
