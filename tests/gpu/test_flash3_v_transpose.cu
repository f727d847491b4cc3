// The fp8 V -> V^T transpose of the flash3 forward (transpose_v_tile, kernels/flash3/flash3_v_transpose.cuh)
// alone on the GPU, as the forward runs it (the producer warpgroup's 96 transposers, the fp8 traits of the head
// dims that transpose in the kernel: 64 and 256): random e4m3 bytes are placed in a raw stage with the swizzle TMA
// uses (swizzled_offset_bytes), transposed, and V^T is read back through the layout the P V wgmma reads; every byte
// must be V's byte of the key its slot holds (fp8_key_of_slot). Run twice over V^T poisoned with 0x00 and 0xff, so
// a byte left unwritten fails one of the two. The end-to-end check is test_fp8_fwd.cpp; this one says where a fault is.
#include <catch2/catch.hpp>

#include <cuda_runtime_api.h>

#include <cstdint>
#include <random>
#include <vector>

#include "core/cuda_check.hpp"
#include "kernels/flash3/flash3_fwd_traits.cuh"
#include "kernels/flash3/flash3_tile_ops.cuh"
#include "kernels/flash3/flash3_v_transpose.cuh"
#include "tests/gpu/flash3_test_points.hpp"
#include "tests/gpu/gpu_support.hpp"

namespace {

namespace f3 = fa::flash3;

// One CTA of Tr::kTransposers threads: v is [BN keys x D] row-major, vt_out [D x BN] in slot order.
template <class Tr>
__global__ void transpose_probe(const std::uint8_t* v, std::uint8_t* vt_out, std::uint8_t poison) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900  // stmatrix: sm_90 (the family's only target)
  extern __shared__ unsigned char smem_raw[];
  const std::uint32_t at = static_cast<std::uint32_t>(__cvta_generic_to_shared(smem_raw));
  unsigned char* const raw = smem_raw + (((at + 1023u) & ~1023u) - at);  // stage bases are 1024-byte aligned
  unsigned char* const vt = raw + Tr::kKVBytes;
  for (int i = threadIdx.x; i < Tr::BN * Tr::D; i += blockDim.x) {
    raw[f3::swizzled_offset_bytes<Tr::kSwzBytes>(i / Tr::D, i % Tr::D, Tr::kKVRegionBytes)] = v[i];
    vt[i] = poison;
  }
  __syncthreads();
  const auto smem = [](const unsigned char* p) { return static_cast<std::uint32_t>(__cvta_generic_to_shared(p)); };
  f3::transpose_v_tile<Tr>(smem(raw), smem(vt), threadIdx.x, blockDim.x);
  __syncthreads();
  for (int i = threadIdx.x; i < Tr::BN * Tr::D; i += blockDim.x)
    vt_out[i] = vt[f3::swizzled_offset_bytes<128>(i / Tr::BN, i % Tr::BN, Tr::kVtRegionBytes)];
#else
  __trap();
#endif
}

template <int D>
void check_transpose(std::uint8_t poison) {
  using Tr = f3::Fwd3Fp8TraitsFor<D>;
  static_assert(Tr::kTransposers > 0, "a head dim whose forward transposes V in the kernel");
  constexpr int kBytes = Tr::BN * D, kSmem = Tr::kKVBytes + Tr::kVStageBytes + 1024;
  INFO("D " << D << ", BN " << Tr::BN << ", poison " << int{poison});
  std::vector<std::uint8_t> v(kBytes), vt(kBytes);
  std::mt19937 gen(1234u + D);
  for (auto& b : v) b = static_cast<std::uint8_t>(gen());
  std::uint8_t *dv = nullptr, *dvt = nullptr;
  FA_CUDA_CHECK(cudaMalloc(&dv, kBytes));
  FA_CUDA_CHECK(cudaMalloc(&dvt, kBytes));
  FA_CUDA_CHECK(cudaMemcpy(dv, v.data(), kBytes, cudaMemcpyHostToDevice));
  FA_CUDA_CHECK(cudaFuncSetAttribute(transpose_probe<Tr>, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmem));
  transpose_probe<Tr><<<1, Tr::kTransposers, kSmem>>>(dv, dvt, poison);
  FA_CUDA_CHECK_LAUNCH();
  FA_CUDA_CHECK(cudaDeviceSynchronize());
  FA_CUDA_CHECK(cudaMemcpy(vt.data(), dvt, kBytes, cudaMemcpyDeviceToHost));
  FA_CUDA_CHECK(cudaFree(dv));
  FA_CUDA_CHECK(cudaFree(dvt));
  int wrong = 0;
  for (int d = 0; d < D; ++d)
    for (int slot = 0; slot < Tr::BN; ++slot) {
      const int key = 32 * (slot / 32) + f3::fp8_key_of_slot(slot % 32);
      wrong += vt[d * Tr::BN + slot] != v[key * D + d];
    }
  CHECK(wrong == 0);
}

}  // namespace

TEST_CASE("flash3 fp8 V^T transpose on the GPU: every byte from its key's V byte", "[gpu][fp8][flash3]") {
  FA_REQUIRE_GPU();
  fa::testing::require_flash3(fa::Pass::fwd);  // sm_90: fails with the family's reason elsewhere
  for (int poison : {0x00, 0xff}) {
    check_transpose<64>(static_cast<std::uint8_t>(poison));  // D = 128 reads V^T from global memory
    check_transpose<256>(static_cast<std::uint8_t>(poison));  // (test_flash3_vt_transpose.cu)
  }
}
