// flash3 forward: what it supports, the per-point plan (tensor maps, grid) and the dispatch on head dim.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <climits>
#include <cstdint>
#include <stdexcept>

#include "core/cuda_check.hpp"
#include "kernels/flash3/flash3_fwd.hpp"
#include "kernels/flash3/flash3_tma.hpp"

namespace fa::flash3 {
namespace {

Fwd3Geometry geometry(int d, DType dtype) {
  const bool fp8 = dtype == DType::fp8;
  switch (d) {
    case 64: return fwd_geometry<64, true>(fp8);
    case 96: return fwd_geometry<96, false>(fp8);
    case 128: return fwd_geometry<128, true>(fp8);
    case 256: return fwd_geometry<256, true>(fp8);
    default: return {};
  }
}

// Q and O have p.heads heads, K and V p.heads / p.kv_group (kv_heads_of).
TensorMapShape shape_of(const Flash3Params& p, const void* base, int heads, int seqlen, std::int64_t sb,
                        std::int64_t sh, std::int64_t sn, int elem_bytes) {
  return {base, p.batch, heads, seqlen, p.head_dim, sb, sh, sn, elem_bytes};
}

int sm_count() {
  int device = 0, sms = 0;
  FA_CUDA_CHECK(cudaGetDevice(&device));
  FA_CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  return sms;
}

}  // namespace

const char* fwd_unsupported_reason(const Flash3Params& p) {
  const bool fp8 = p.dtype == DType::fp8;
  if (p.dtype != DType::fp16 && p.dtype != DType::bf16 && !fp8) return "flash3 takes fp16/bf16/fp8";
  if (geometry(p.head_dim, DType::bf16).block_m == 0) return "flash3 head dims: 64, 96, 128, 256";
  if (geometry(p.head_dim, p.dtype).block_m == 0) return "flash3 fp8 head dims: 64, 128, 256";
  if (fp8 && p.dropout_threshold8 > 0) return "flash3 fp8: no dropout";
  if (p.batch < 1 || p.heads < 1 || p.seqlen_q < 1 || p.seqlen_kv < 1) return "flash3: empty problem";
  if (p.kv_group < 1 || p.heads % p.kv_group != 0) return "flash3 needs K/V heads that divide the query heads";
  const int eb = fp8 ? 1 : 2;
  if (!tma_strides_ok(p.q_stride_b, p.q_stride_h, p.q_stride_n, eb) ||
      !tma_strides_ok(p.k_stride_b, p.k_stride_h, p.k_stride_n, eb) ||
      !tma_strides_ok(p.v_stride_b, p.v_stride_h, p.v_stride_n, eb) ||
      !tma_strides_ok(p.o_stride_b, p.o_stride_h, p.o_stride_n))
    return fp8 ? "flash3: fp8 strides must be multiples of 16 elements (TMA needs 16-byte strides)"
               : "flash3: strides must be multiples of 8 elements (TMA needs 16-byte strides)";
  if (fwd_vt_global(p) && vt_transpose_blocks(p) > INT_MAX)
    return "flash3 fp8: more than 2^31 - 1 blocks of 128 keys x K/V heads x batch to transpose";
  const void* tensors[] = {p.q, p.k, p.v, p.o};
  for (const void* t : tensors)
    if (t != nullptr && reinterpret_cast<std::uintptr_t>(t) % 16 != 0) return "flash3: Q, K, V, O must be 16-byte aligned";
  return "";
}

const char* block_mask_unsupported_reason(const Flash3Params& p) {
  if (p.head_dim != 64 && p.head_dim != 128) return "flash3 block mask: head dims 64 and 128 only";
  if (p.dtype != DType::fp16 && p.dtype != DType::bf16) return "flash3 block mask: fp16/bf16 only";
  if (p.dropout_threshold8 > 0) return "flash3 block mask: no dropout";
  if (p.kv_group != 1) return "flash3 block mask: no grouped K/V heads";
  return "";
}

Fwd3Plan plan_fwd(const Flash3Params& p) {
  if (const char* why = fwd_unsupported_reason(p); why[0] != '\0') throw std::invalid_argument(why);
  if (p.mask_kv_blocks != nullptr) {  // checked once here, not at every launch
    if (const char* why = block_mask_unsupported_reason(p); why[0] != '\0') throw std::invalid_argument(why);
  }
  const Fwd3Geometry g = geometry(p.head_dim, p.dtype);
  const int eb = g.elem_bytes, swz_bytes = g.swizzle_cols * eb;
  Fwd3Plan plan;
  const int hkv = kv_heads_of(p);
  plan.q = make_tensor_map(shape_of(p, p.q, p.heads, p.seqlen_q, p.q_stride_b, p.q_stride_h, p.q_stride_n, eb),
                           g.swizzle_cols, g.block_m, swz_bytes);
  plan.k = make_tensor_map(shape_of(p, p.k, hkv, p.seqlen_kv, p.k_stride_b, p.k_stride_h, p.k_stride_n, eb),
                           g.swizzle_cols, g.block_n, swz_bytes);
  if (fwd_vt_global(p)) {  // V^T [batch, hkv, D rows, vt_keys] bytes: boxes of D rows x 128 keys (a V^T region)
    if (p.vt == nullptr) throw std::invalid_argument("flash3 fp8: the forward's V^T workspace is not bound");
    const std::int64_t keys = vt_keys(p.seqlen_kv);
    const TensorMapShape vt{p.vt, p.batch, hkv, p.head_dim, static_cast<int>(keys), hkv * p.head_dim * keys,
                            p.head_dim * keys, keys, 1};
    plan.v = make_tensor_map(vt, 128, p.head_dim, 128);
  } else {
    plan.v = make_tensor_map(shape_of(p, p.v, hkv, p.seqlen_kv, p.v_stride_b, p.v_stride_h, p.v_stride_n, eb),
                             g.swizzle_cols, g.block_n, swz_bytes);
  }
  // O is stored per consumer warpgroup: 64 rows at a time. The fp8 kernel stores its bf16 O from registers and
  // only prefetches this map, which is still a valid one (64 bf16 columns, 128-byte swizzle; D % 64 == 0).
  const int o_cols = eb == 2 ? g.swizzle_cols : 64;
  plan.o = make_tensor_map(shape_of(p, p.o, p.heads, p.seqlen_q, p.o_stride_b, p.o_stride_h, p.o_stride_n, 2), o_cols,
                           64, o_cols * 2);
  const long long tiles =
      static_cast<long long>((p.seqlen_q + g.block_m - 1) / g.block_m) * p.heads * static_cast<long long>(p.batch);
  // The causal order's index arithmetic is 32-bit (decode_tile: the producer has no registers for 64-bit division).
  if (tiles > INT_MAX) throw std::invalid_argument("flash3: more than 2^31 - 1 query tiles x heads x batch");
  plan.grid = static_cast<int>(std::min<long long>(tiles, sm_count()));
  return plan;
}

void run_fwd(const Flash3Params& p, const Fwd3Plan& plan, void* stream) {
  if (p.causal) {
    if (p.tile_counter == nullptr) throw std::invalid_argument("flash3: causal launch without its tile counter");
    FA_CUDA_CHECK(cudaMemsetAsync(p.tile_counter, 0, sizeof(int), static_cast<cudaStream_t>(stream)));
  }
  if (fwd_vt_global(p)) launch_vt_transpose(p, stream);
  if (p.mask_kv_blocks != nullptr) {  // plan_fwd has checked block_mask_unsupported_reason
    if (p.head_dim == 64) launch_fwd_block_mask<64>(p, plan, stream);
    else launch_fwd_block_mask<128>(p, plan, stream);
    return;
  }
  switch (p.head_dim) {
    case 64: launch_fwd<64, true>(p, plan, stream); break;
    case 96: launch_fwd<96, false>(p, plan, stream); break;
    case 128: launch_fwd<128, true>(p, plan, stream); break;
    case 256: launch_fwd<256, true>(p, plan, stream); break;
    default: throw std::invalid_argument("flash3: unsupported head dim");
  }
}

}  // namespace fa::flash3
