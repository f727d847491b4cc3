#pragma once
// fp8 forward with an e4m3 O (cuDNN before Blackwell, cudnn_graphs.cpp): cuDNN refuses a bf16 O for its fp8
// SDPA there ("only supported on Blackwell architecture with cuDNN 9.13.0 and newer"), so its O goes to
// scratch as e4m3 and a small kernel converts it to the harness's bf16 O. The conversion is part of the
// family's run(), so it is inside the timed region and every cudnn fp8 time includes it.
//
// Scale: O is a convex combination of V's rows (softmax weights sum to 1), so |O| <= amax|V|. V arrives
// quantized with a scale that maps its amax to at most 448 (core/dtype.hpp); using the same scale for O
// (scale_o = 1 / descale_v) keeps every |O * scale_o| <= 448, never saturating, and O's amax lands near 448
// when the softmax is peaked. Decoding: bf16(e4m3 * descale_v), exact (descale_v is a power of two and bf16's
// 8 significant bits hold e4m3's 4).
#include <cstdint>

#include "kernels/cudnn/cudnn_geometry.hpp"

namespace fa::cudnn {

// The e4m3 O in scratch: [B, H, Nq', D] contiguous (Nq' = Geometry::seqlen_q_cudnn), one byte an element.
inline Strides4 fp8_o_strides(const Geometry& g) {
  return {g.heads * g.seqlen_q_cudnn * g.head_dim, g.seqlen_q_cudnn * g.head_dim, g.head_dim};
}
inline std::int64_t fp8_o_bytes(const Geometry& g) { return g.batch * g.heads * g.seqlen_q_cudnn * g.head_dim; }

// O (bf16, the harness's strides `dst`, already offset to the rows cuDNN sees) = e4m3 scratch * descale.
// Cost, memory-bound: 1 byte read and 2 written per O element. At the fp8 bar shape (16k tokens x hidden
// 2048: 33.5 M elements, 100 MB moved) that is about 24 us at H200's measured 4.2 TB/s copy rate: some 2 %
// of a non-causal D=128 forward near 1 ms and 4-5 % of a causal one. cuDNN's own O store shrinks by
// 1 byte per element at the same time, so the net cost is nearer 2 bytes per element.
void fp8_o_to_bf16(const void* src, void* dst, const Strides4& dst_strides, const Geometry& g, float descale,
                   void* stream);

}  // namespace fa::cudnn
