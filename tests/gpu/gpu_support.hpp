#pragma once
// GPU tests call FA_REQUIRE_GPU() first. Without a CUDA device the process exits with code 77,
// which CTest (SKIP_RETURN_CODE 77) reports as "Skipped": a GPU test never passes without a GPU.
#include <cstdio>
#include <cstdlib>

#include <cuda_runtime_api.h>

namespace fa::testing {
inline bool have_gpu() {
  int n = 0;
  return cudaGetDeviceCount(&n) == cudaSuccess && n > 0;
}
}  // namespace fa::testing

#define FA_REQUIRE_GPU()                                                  \
  do {                                                                    \
    if (!::fa::testing::have_gpu()) {                                     \
      std::fprintf(stderr, "SKIPPED: no CUDA device present\n");          \
      std::fflush(nullptr);                                               \
      std::_Exit(77);                                                     \
    }                                                                     \
  } while (0)
