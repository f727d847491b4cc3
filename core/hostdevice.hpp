#pragma once
// Lets small headers (RNG, mask predicates) compile both in host C++ and in CUDA device code,
// so the CPU reference and the GPU kernels share one definition instead of two that can drift.
#if defined(__CUDACC__)
#define FA_HD __host__ __device__ __forceinline__
#else
#define FA_HD inline
#endif
