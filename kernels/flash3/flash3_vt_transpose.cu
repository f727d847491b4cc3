// V^T for the fp8 forward (fwd_vt_global): fp8 V [batch, keys, K/V heads, D] (any strides) into
// [batch, K/V heads, D, vt_keys] bytes, keys permuted within each 32 as the P V GEMM's P fragments order them
// (fp8_key_of_slot), keys past seqlen_kv zero.
#include <cuda_runtime_api.h>

#include <cstdint>
#include <stdexcept>

#include "core/cuda_check.hpp"
#include "kernels/flash3/flash3_fwd.hpp"
#include "kernels/flash3/flash3_v_transpose_plan.hpp"
#include "kernels/flash3/hopper_ptx.cuh"

namespace fa::flash3 {
namespace {

constexpr int kKeys = 128, kThreads = 256;

// A CTA: 128 keys x D of one (batch, K/V head). Each item is a "quad" of 4 keys that one V^T word holds (slots 4t ..
// 4t + 3 of a 16-slot half: keys 2t, 2t + 1, 2t + 8, 2t + 9, fp8_key_of_slot) times 16 head-dim bytes: four 16-byte
// loads, four 4 x 4 byte transposes in registers, sixteen words into the shared V^T tile (D rows of 32 words and one
// of padding; a warp's 32 quads write 32 consecutive words of one row). Then the rows go out as coalesced 16-byte
// stores (a warp reads 4 rows x 8 chunks: with the padding, 32 banks).
template <int D>
__global__ void __launch_bounds__(kThreads) vt_transpose_kernel(const Flash3Params p) {
  constexpr int kQuads = kKeys / 4, kStride = kQuads + 1;
  __shared__ std::uint32_t tile[D * kStride];
  // The forward after this kernel may start now: it waits for this grid before it reads V^T.
  ptx::launch_dependents();
  const long long keys = vt_keys(p.seqlen_kv);
  const int tiles = static_cast<int>((keys + kKeys - 1) / kKeys), hkv = kv_heads_of(p);
  const int hk = static_cast<int>(blockIdx.x / tiles % hkv), b = static_cast<int>(blockIdx.x / tiles / hkv);
  const int key0 = static_cast<int>(blockIdx.x % tiles) * kKeys;
  const auto* v = static_cast<const unsigned char*>(p.v) + b * p.v_stride_b + hk * p.v_stride_h;
  for (int i = threadIdx.x; i < kQuads * (D / 16); i += kThreads) {
    const int quad = i % kQuads, c = i / kQuads;  // quad = V^T word column (8 per 32 keys); c: 16 head-dim bytes
    const int k0 = key0 + quad / 8 * 32 + quad / 4 % 2 * 16 + quad % 4 * 2;
    const int kq[4] = {k0, k0 + 1, k0 + 8, k0 + 9};
    uint4 x[4];
#pragma unroll
    for (int r = 0; r < 4; ++r)
      x[r] = kq[r] < p.seqlen_kv ? *reinterpret_cast<const uint4*>(v + kq[r] * p.v_stride_n + 16 * c)
                                 : make_uint4(0u, 0u, 0u, 0u);
    const std::uint32_t w[4][4] = {{x[0].x, x[1].x, x[2].x, x[3].x}, {x[0].y, x[1].y, x[2].y, x[3].y},
                                   {x[0].z, x[1].z, x[2].z, x[3].z}, {x[0].w, x[1].w, x[2].w, x[3].w}};
#pragma unroll
    for (int e = 0; e < 4; ++e) {  // head-dim bytes 16 c + 4 e .. + 3 of the four keys
      const std::uint32_t lo01 = __byte_perm(w[e][0], w[e][1], 0x5140), hi01 = __byte_perm(w[e][0], w[e][1], 0x7362);
      const std::uint32_t lo23 = __byte_perm(w[e][2], w[e][3], 0x5140), hi23 = __byte_perm(w[e][2], w[e][3], 0x7362);
      const std::uint32_t out[4] = {__byte_perm(lo01, lo23, 0x5410), __byte_perm(lo01, lo23, 0x7632),
                                    __byte_perm(hi01, hi23, 0x5410), __byte_perm(hi01, hi23, 0x7632)};
#pragma unroll
      for (int j = 0; j < 4; ++j) {  // byte j of each key: head-dim byte d
        const int d = 16 * c + 4 * e + j;
        tile[d * kStride + quad] = out[j];
      }
    }
  }
  __syncthreads();
  auto* vt = static_cast<unsigned char*>(p.vt) + ((static_cast<long long>(b) * hkv + hk) * D) * keys + key0;
  for (int i = threadIdx.x; i < D * (kQuads / 4); i += kThreads) {
    const int c = i % (kQuads / 4), d = i / (kQuads / 4);  // 16 slots (4 words) c of V^T row d
    if (key0 + 16 * c >= keys) continue;
    std::uint32_t w[4];
#pragma unroll
    for (int k = 0; k < 4; ++k) w[k] = tile[d * kStride + 4 * c + k];
    *reinterpret_cast<uint4*>(vt + d * keys + 16 * c) = make_uint4(w[0], w[1], w[2], w[3]);
  }
}

template <int D>
void launch_d(const Flash3Params& p, cudaStream_t stream) {
  static_assert(kKeys == 128, "vt_transpose_blocks counts blocks of 128 keys");
  vt_transpose_kernel<D><<<static_cast<unsigned>(vt_transpose_blocks(p)), kThreads, 0, stream>>>(p);
  FA_CUDA_CHECK_LAUNCH();
}

}  // namespace

void launch_vt_transpose(const Flash3Params& p, void* stream) {
  const auto s = static_cast<cudaStream_t>(stream);
  switch (p.head_dim) {
    case 64: launch_d<64>(p, s); break;
    case 128: launch_d<128>(p, s); break;
    case 256: launch_d<256>(p, s); break;
    default: throw std::invalid_argument("flash3 fp8 V^T: head dims 64, 128, 256");
  }
}

}  // namespace fa::flash3
