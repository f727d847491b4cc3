#include "reference/parallel.hpp"

#include <cstdlib>
#include <stdexcept>
#include <string>

namespace fa::ref {

unsigned reference_threads() {
  if (const char* v = std::getenv("FA_REFERENCE_THREADS"); v != nullptr && *v != '\0') {
    char* end = nullptr;
    const long n = std::strtol(v, &end, 10);
    if (*end != '\0' || n < 1 || n > 4096) {
      throw std::invalid_argument(std::string("FA_REFERENCE_THREADS: '") + v + "' (accepted: an integer in [1, 4096])");
    }
    return static_cast<unsigned>(n);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

}  // namespace fa::ref
