#pragma once
// Host launch of the split-K/V decode kernels for one head dim: the split kernel's instance for the
// row tiles and dtype (grid: B*Hkv x chunks), then, with more than one chunk, the combine kernel.
// Included by one flash_decode_d<D>.cu per head dim so the instances compile in parallel.
#include <cuda_runtime_api.h>

#include <array>
#include <atomic>

#include "core/cuda_check.hpp"
#include "kernels/flash/flash_decode.hpp"
#include "kernels/flash/flash_decode_kernel.cuh"

namespace fa::flash {

template <int D, int MTiles, class T>
void launch_decode_split(const FlashParams& p, const DecodeArgs& a, cudaStream_t stream) {
  using Traits = DecodeTraits<D, MTiles>;
  auto* kernel = flash_decode_split_kernel<Traits, T>;
  constexpr int kSmem = Traits::kSmemBytes;
  // Above 48 KB a kernel must opt in; once per device and instance.
  static std::array<std::atomic<bool>, 64> opted_in{};
  int device = 0;
  FA_CUDA_CHECK(cudaGetDevice(&device));
  if (kSmem > 48 * 1024 && (device >= 64 || !opted_in[device].load(std::memory_order_acquire))) {
    FA_CUDA_CHECK(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmem));
    if (device < 64) opted_in[device].store(true, std::memory_order_release);
  }
  const dim3 grid(static_cast<unsigned>(p.batch * a.kv_heads), static_cast<unsigned>(a.chunks));
  kernel<<<grid, Traits::kThreads, kSmem, stream>>>(p, a);
  FA_CUDA_CHECK_LAUNCH();
}

template <int D, class T>
void launch_decode_dtype(const FlashParams& p, const DecodeArgs& a, int row_tiles, cudaStream_t stream) {
  switch (row_tiles) {
    case 1: launch_decode_split<D, 1, T>(p, a, stream); break;
    case 2: launch_decode_split<D, 2, T>(p, a, stream); break;
    default: launch_decode_split<D, 4, T>(p, a, stream); break;
  }
  if (a.chunks > 1) {
    const long long rows = static_cast<long long>(p.batch) * a.kv_heads * a.rows;
    flash_decode_combine_kernel<D, T><<<static_cast<unsigned>((rows + 7) / 8), 256, 0, stream>>>(p, a);
    FA_CUDA_CHECK_LAUNCH();
  }
}

template <int D>
void launch_flash_decode_hdim(const FlashParams& p, const DecodeArgs& a, int row_tiles, cudaStream_t stream) {
  if (p.dtype == DType::bf16) {
    launch_decode_dtype<D, __nv_bfloat16>(p, a, row_tiles, stream);
  } else {
    launch_decode_dtype<D, __half>(p, a, row_tiles, stream);
  }
}

}  // namespace fa::flash
