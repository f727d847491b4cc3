// flash_fwd() and flash_fwd_unsupported_reason() of flash_params.hpp: shape checks and the
// dispatch on head dim (the per-head-dim instances live in flash_fwd_d<D>.cu).
#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/flash/flash_fwd_launch.hpp"
#include "kernels/flash/flash_fwd_traits.cuh"
#include "kernels/flash/flash_params.hpp"

namespace fa::flash {

namespace {

bool aligned16(const void* ptr) { return ptr == nullptr || reinterpret_cast<std::uintptr_t>(ptr) % 16 == 0; }
bool strides_ok(std::int64_t b, std::int64_t h, std::int64_t n) { return b % 8 == 0 && h % 8 == 0 && n % 8 == 0; }

}  // namespace

const char* flash_fwd_unsupported_reason(const FlashParams& p) {
  if (p.dtype != DType::fp16 && p.dtype != DType::bf16) return "flash takes fp16/bf16";
  const TileShape tile = fwd_tile(p.head_dim);
  if (tile.br == 0) return "flash head dims: 32, 64, 96, 128, 256";
  if (p.batch < 1 || p.heads < 1 || p.seqlen_q < 1 || p.seqlen_kv < 1) return "flash needs batch, heads, seqlens >= 1";
  if (p.kv_group < 1 || p.heads % p.kv_group != 0) return "flash needs K/V heads that divide the query heads";
  if (!(p.scale > 0.f)) return "flash needs a positive softmax scale";
  if (!(p.dropout >= 0.f && p.dropout < 1.f)) return "flash needs dropout in [0, 1)";
  // 16-byte cp.async / vector stores of rows: every row start must be 16-byte aligned.
  if (!aligned16(p.q) || !aligned16(p.k) || !aligned16(p.v) || !aligned16(p.o)) {
    return "flash needs 16-byte aligned Q/K/V/O";
  }
  if (!strides_ok(p.q_stride_b, p.q_stride_h, p.q_stride_n) || !strides_ok(p.k_stride_b, p.k_stride_h, p.k_stride_n) ||
      !strides_ok(p.v_stride_b, p.v_stride_h, p.v_stride_n) || !strides_ok(p.o_stride_b, p.o_stride_h, p.o_stride_n)) {
    return "flash needs strides that are multiples of 8 elements";
  }
  // Offsets inside one tile are 32-bit in the kernel.
  const std::int64_t max_stride_n = std::max({p.q_stride_n, p.k_stride_n, p.v_stride_n, p.o_stride_n});
  if (max_stride_n * tile.br >= 0x7fffffff) return "flash needs row strides below 2^31 / 128 elements";
  // Mask sizes are checked whenever they are given, so supports() can ask before any mask exists.
  if (p.block_mask != nullptr || p.mask_block_q > 0 || p.mask_block_k > 0) {
    if (p.mask_block_q <= 0 || p.mask_block_k <= 0 || p.mask_block_q % tile.br != 0 || p.mask_block_k % tile.bc != 0) {
      static_assert([] {
        for (int d : {32, 64, 96, 128, 256})
          if (fwd_tile(d).br != 128 || fwd_tile(d).bc != 64) return false;
        return true;
      }(), "keep the message below true");
      return "flash block mask: blocks must be multiples of 128 (query) x 64 (key)";
    }
    if (p.block_mask != nullptr) {
      const std::int64_t bq = (p.seqlen_q + p.mask_block_q - 1) / p.mask_block_q;
      const std::int64_t bk = (p.seqlen_kv + p.mask_block_k - 1) / p.mask_block_k;
      if (p.mask_blocks_q != bq || p.mask_blocks_k != bk || (p.mask_heads != 1 && p.mask_heads != p.heads)) {
        return "flash block mask: shape does not match the problem";
      }
    }
  }
  const std::int64_t q_tiles = (p.seqlen_q + tile.br - 1) / tile.br;
  if (q_tiles * p.batch * p.heads > 0x7fffffff) return "flash: more than 2^31-1 query tiles";
  return "";
}

void flash_fwd(const FlashParams& p, void* stream) {
  if (const char* why = flash_fwd_unsupported_reason(p); why[0] != '\0') {
    throw std::invalid_argument(std::string("flash_fwd: ") + why);
  }
  auto s = static_cast<cudaStream_t>(stream);
  switch (p.head_dim) {
    case 32: launch_flash_fwd_hdim<32>(p, s); break;
    case 64: launch_flash_fwd_hdim<64>(p, s); break;
    case 96: launch_flash_fwd_hdim<96>(p, s); break;
    case 128: launch_flash_fwd_hdim<128>(p, s); break;
    case 256: launch_flash_fwd_hdim<256>(p, s); break;
    default: break;  // unreachable: rejected above
  }
}

}  // namespace fa::flash
