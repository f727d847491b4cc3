#pragma once
// TMA tensor maps (CUtensorMap) for [B, H, N, D] tensors, built on the host through the driver's
// cuTensorMapEncodeTiled (reached via the runtime's driver entry point, so nothing links libcuda).
#include <cuda.h>

#include <cstdint>

namespace fa::flash3 {

struct TensorMapShape {
  const void* base = nullptr;
  int batch = 0, heads = 0, seqlen = 0, head_dim = 0;
  std::int64_t stride_b = 0, stride_h = 0, stride_n = 0;  // elements
  int elem_bytes = 2;  // 1: e4m3, 2: any 16-bit type (both moved as raw bits); 4: fp32 (TMA reduce-adds need the type)
};

// Strides (elements of `elem_bytes` bytes, 16-bit by default) TMA can walk: multiples of 16 bytes.
inline bool tma_strides_ok(std::int64_t sb, std::int64_t sh, std::int64_t sn, int elem_bytes = 2) {
  return (sb * elem_bytes) % 16 == 0 && (sh * elem_bytes) % 16 == 0 && (sn * elem_bytes) % 16 == 0;
}

// A map whose box is [box_rows x box_cols] elements of one (b, h) (box_cols * elem_bytes must equal the
// swizzle width, 128 or 64 bytes). Throws std::invalid_argument when the driver refuses the geometry
// (base not 16-byte aligned, strides not multiples of 16 bytes, ...), with the driver's error.
CUtensorMap make_tensor_map(const TensorMapShape& s, int box_cols, int box_rows, int swizzle_bytes);

}  // namespace fa::flash3
