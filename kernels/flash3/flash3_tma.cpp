// TMA tensor maps through cuTensorMapEncodeTiled, looked up once through the runtime.
#include "kernels/flash3/flash3_tma.hpp"

#include <cuda_runtime_api.h>
#include <cudaTypedefs.h>

#include <mutex>
#include <stdexcept>
#include <string>

#include "core/cuda_check.hpp"

namespace fa::flash3 {
namespace {

PFN_cuTensorMapEncodeTiled_v12000 encode_fn() {
  static PFN_cuTensorMapEncodeTiled_v12000 fn = nullptr;
  static std::once_flag once;
  std::call_once(once, [] {
    void* ptr = nullptr;
    cudaDriverEntryPointQueryResult found{};
    FA_CUDA_CHECK(cudaGetDriverEntryPointByVersion("cuTensorMapEncodeTiled", &ptr, 12000, cudaEnableDefault, &found));
    if (found != cudaDriverEntryPointSuccess || ptr == nullptr) {
      throw std::runtime_error("flash3: the CUDA driver offers no cuTensorMapEncodeTiled (driver older than CUDA 12?)");
    }
    fn = reinterpret_cast<PFN_cuTensorMapEncodeTiled_v12000>(ptr);
  });
  return fn;
}

}  // namespace

CUtensorMap make_tensor_map(const TensorMapShape& s, int box_cols, int box_rows, int swizzle_bytes) {
  CUtensorMap map{};
  const cuuint64_t dims[4] = {static_cast<cuuint64_t>(s.head_dim), static_cast<cuuint64_t>(s.seqlen),
                              static_cast<cuuint64_t>(s.heads), static_cast<cuuint64_t>(s.batch)};
  // Byte strides of dims 1..3 (dim 0 is contiguous).
  const cuuint64_t strides[3] = {static_cast<cuuint64_t>(s.stride_n * s.elem_bytes),
                                 static_cast<cuuint64_t>(s.stride_h * s.elem_bytes),
                                 static_cast<cuuint64_t>(s.stride_b * s.elem_bytes)};
  const cuuint32_t box[4] = {static_cast<cuuint32_t>(box_cols), static_cast<cuuint32_t>(box_rows), 1, 1};
  const cuuint32_t elem_strides[4] = {1, 1, 1, 1};
  const CUtensorMapSwizzle swizzle = swizzle_bytes == 128 ? CU_TENSOR_MAP_SWIZZLE_128B : CU_TENSOR_MAP_SWIZZLE_64B;
  const CUtensorMapDataType type = s.elem_bytes == 4   ? CU_TENSOR_MAP_DATA_TYPE_FLOAT32
                                   : s.elem_bytes == 1 ? CU_TENSOR_MAP_DATA_TYPE_UINT8
                                                       : CU_TENSOR_MAP_DATA_TYPE_UINT16;
  const CUresult rc = encode_fn()(&map, type, 4, const_cast<void*>(s.base), dims, strides,
                                  box, elem_strides, CU_TENSOR_MAP_INTERLEAVE_NONE, swizzle,
                                  CU_TENSOR_MAP_L2_PROMOTION_L2_256B, CU_TENSOR_MAP_FLOAT_OOB_FILL_NONE);
  if (rc != CUDA_SUCCESS) {
    throw std::invalid_argument("flash3: cuTensorMapEncodeTiled refused the tensor (CUresult " + std::to_string(rc) +
                                "; needs a 16-byte aligned base and strides that are multiples of 16 bytes)");
  }
  return map;
}

}  // namespace fa::flash3
