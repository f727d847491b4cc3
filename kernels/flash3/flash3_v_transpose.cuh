#pragma once
// fp8 forward: the V tile, TMA-loaded row-major ([BN keys x D] e4m3, swizzled like K), rewritten as V^T
// ([D rows x BN keys], keys contiguous: the K-major B operand an 8-bit P V wgmma needs) by the producer
// warpgroup's spare warps. The keys of V^T are stored in the order P's register fragments use
// (acc_to_a_fp8 in flash3_tile_ops.cuh): within every 32 keys, slot 4t + i holds key 2t + (i % 2) + 8 (i / 2)
// of the first 16 (the same + 16 for slots 16 .. 31).
#include <cstdint>

#include "kernels/flash3/flash3_tile_ops.cuh"

namespace fa::flash3 {

// The key (within its 32) stored in V^T slot `slot` (within its 32).
__host__ __device__ constexpr int fp8_key_of_slot(int slot) {
  const int half = slot / 16, t = (slot % 16) / 4, i = slot % 4;
  return 16 * half + 2 * t + (i % 2) + 8 * (i / 2);
}

__device__ __forceinline__ std::uint32_t ld_shared_u32(std::uint32_t addr) {
  std::uint32_t v;
  asm volatile("ld.shared.b32 %0, [%1];\n" : "=r"(v) : "r"(addr) : "memory");
  return v;
}

// Thread `tid` of `threads` transposes its share of 4 x 4 byte blocks: four slots of V^T (keys k0, k0 + 1,
// k0 + 8, k0 + 9: one word of each of four raw rows) times four head-dim bytes (four V^T rows). Lanes of a
// warp take the 8 slot words of 32 keys times 4 head-dim words, so loads and stores are 2-way bank conflicted.
template <class Tr>
__device__ __forceinline__ void transpose_v_tile(std::uint32_t raw, std::uint32_t vt, int tid, int threads) {
  constexpr int kDWords = Tr::D / 4, kBlocks = Tr::BN / 4 * kDWords;
#pragma unroll 1  // the producer warps run on few registers (setmaxnreg): one block at a time
  for (int b = tid; b < kBlocks; b += threads) {
    const int sw = b % 8, dw = (b / 8) % kDWords, group = b / (8 * kDWords);  // slot word, head-dim word, 32 keys
    const int slot = 32 * group + 4 * sw;
    const int k0 = 32 * group + fp8_key_of_slot(4 * sw);
    const int d0 = 4 * dw;
    const std::uint32_t w0 = ld_shared_u32(raw + swizzled_offset_bytes<Tr::kSwzBytes>(k0, d0, Tr::kKVRegionBytes));
    const std::uint32_t w1 = ld_shared_u32(raw + swizzled_offset_bytes<Tr::kSwzBytes>(k0 + 1, d0, Tr::kKVRegionBytes));
    const std::uint32_t w2 = ld_shared_u32(raw + swizzled_offset_bytes<Tr::kSwzBytes>(k0 + 8, d0, Tr::kKVRegionBytes));
    const std::uint32_t w3 = ld_shared_u32(raw + swizzled_offset_bytes<Tr::kSwzBytes>(k0 + 9, d0, Tr::kKVRegionBytes));
    // 4 x 4 byte transpose: out_j = {w0.j, w1.j, w2.j, w3.j}.
    const std::uint32_t lo01 = __byte_perm(w0, w1, 0x5140), hi01 = __byte_perm(w0, w1, 0x7362);
    const std::uint32_t lo23 = __byte_perm(w2, w3, 0x5140), hi23 = __byte_perm(w2, w3, 0x7362);
    st_shared_u32(vt + swizzled_offset_bytes<128>(d0 + 0, slot, Tr::kVtRegionBytes), __byte_perm(lo01, lo23, 0x5410));
    st_shared_u32(vt + swizzled_offset_bytes<128>(d0 + 1, slot, Tr::kVtRegionBytes), __byte_perm(lo01, lo23, 0x7632));
    st_shared_u32(vt + swizzled_offset_bytes<128>(d0 + 2, slot, Tr::kVtRegionBytes), __byte_perm(hi01, hi23, 0x5410));
    st_shared_u32(vt + swizzled_offset_bytes<128>(d0 + 3, slot, Tr::kVtRegionBytes), __byte_perm(hi01, hi23, 0x7632));
  }
}

}  // namespace fa::flash3
