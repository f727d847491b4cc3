// Flash backward entry points (kernels/flash/flash_params.hpp): what is supported, the workspace,
// and the three launches (preprocess -> main -> postprocess) on the caller's stream.
#include <cstdint>
#include <stdexcept>
#include <string>

#include "kernels/flash/flash_bwd_launch.cuh"
#include "kernels/flash/flash_bwd_traits.cuh"
#include "kernels/flash/flash_params.hpp"

namespace fa::flash {
namespace {

constexpr std::size_t kAlign = 256;
std::size_t align_up(std::size_t x) { return (x + kAlign - 1) / kAlign * kAlign; }

bool strides_ok(std::int64_t sb, std::int64_t sh, std::int64_t sn) {
  return sb % 8 == 0 && sh % 8 == 0 && sn % 8 == 0;
}
bool aligned16(const void* ptr) { return reinterpret_cast<std::uintptr_t>(ptr) % 16 == 0; }

}  // namespace

namespace bwd {

std::size_t workspace_layout(const FlashParams& p, void* base, Workspace* ws) {
  const std::size_t rows = static_cast<std::size_t>(p.batch) * p.heads * padded_rows(p.seqlen_q);
  const std::size_t dq_bytes = align_up(rows * p.head_dim * sizeof(float));
  const std::size_t row_bytes = align_up(rows * sizeof(float));
  const std::size_t dkv_bytes =
      p.kv_group > 1 ? align_up(static_cast<std::size_t>(p.batch) * (p.heads / p.kv_group) * p.seqlen_kv *
                                p.head_dim * sizeof(float))
                     : 0;
  if (ws != nullptr) {
    // The caller's pointer may be less aligned than 256 bytes: start at the next boundary
    // (the kAlign bytes of slack below pay for that).
    auto addr = reinterpret_cast<std::uintptr_t>(base);
    addr = (addr + kAlign - 1) / kAlign * kAlign;
    ws->dq_accum = reinterpret_cast<float*>(addr);
    ws->lse2 = reinterpret_cast<float*>(addr + dq_bytes);
    ws->delta = reinterpret_cast<float*>(addr + dq_bytes + row_bytes);
    ws->nq_pad = padded_rows(p.seqlen_q);
    if (dkv_bytes > 0) {
      ws->dk_accum = reinterpret_cast<float*>(addr + dq_bytes + 2 * row_bytes);
      ws->dv_accum = reinterpret_cast<float*>(addr + dq_bytes + 2 * row_bytes + dkv_bytes);
    }
  }
  return dq_bytes + 2 * row_bytes + 2 * dkv_bytes + kAlign;
}

}  // namespace bwd

const char* flash_bwd_unsupported_reason(const FlashParams& p) {
  if (p.dtype != DType::fp16 && p.dtype != DType::bf16) return "flash backward: fp16 and bf16 only";
  const int br = bwd_tile(p.head_dim).br, bc = bwd_tile(p.head_dim).bc;
  if (br == 0) return "flash backward: head dim must be 32, 64, 96, 128 or 256";
  if (p.batch < 1 || p.heads < 1 || p.seqlen_q < 1 || p.seqlen_kv < 1) return "flash backward: empty problem";
  if (p.kv_group < 1 || p.heads % p.kv_group != 0) return "flash backward: K/V heads must divide the query heads";
  if (!(p.dropout >= 0.0f && p.dropout < 1.0f)) return "flash backward: dropout must be in [0, 1)";
  if (!strides_ok(p.q_stride_b, p.q_stride_h, p.q_stride_n) || !strides_ok(p.k_stride_b, p.k_stride_h, p.k_stride_n) ||
      !strides_ok(p.v_stride_b, p.v_stride_h, p.v_stride_n) || !strides_ok(p.o_stride_b, p.o_stride_h, p.o_stride_n))
    return "flash backward: strides must be multiples of 8 elements (16-byte rows)";
  if (p.block_mask != nullptr || p.mask_block_q > 0 || p.mask_block_k > 0) {
    if (p.mask_block_q <= 0 || p.mask_block_k <= 0 || p.mask_block_q % br != 0 || p.mask_block_k % bc != 0)
      return br == 128 ? "flash backward: mask blocks must be multiples of 128 x 128 at this head dim"
             : bc == 128 ? "flash backward: mask blocks must be multiples of 64 (queries) x 128 (keys) at this head dim"
                         : "flash backward: mask blocks must be multiples of 64 x 64 at this head dim";
    if (p.block_mask != nullptr) {
      const long long bq = (p.seqlen_q + p.mask_block_q - 1) / p.mask_block_q;
      const long long bk = (p.seqlen_kv + p.mask_block_k - 1) / p.mask_block_k;
      if (p.mask_blocks_q != bq || p.mask_blocks_k != bk || (p.mask_heads != 1 && p.mask_heads != p.heads))
        return "flash backward: block mask shape does not match the problem";
    }
  }
  const void* inputs[] = {p.q, p.k, p.v, p.o};
  for (const void* ptr : inputs)
    if (ptr != nullptr && !aligned16(ptr)) return "flash backward: Q, K, V, O must be 16-byte aligned";
  return "";
}

std::size_t flash_bwd_workspace_bytes(const FlashParams& p) { return bwd::workspace_layout(p, nullptr, nullptr); }

void flash_bwd(const FlashBwdParams& p, void* workspace, void* stream) {
  const char* why = flash_bwd_unsupported_reason(p);
  if (why[0] != '\0') throw std::invalid_argument(why);
  if (!strides_ok(p.do_stride_b, p.do_stride_h, p.do_stride_n) || !strides_ok(p.dq_stride_b, p.dq_stride_h, p.dq_stride_n) ||
      !strides_ok(p.dk_stride_b, p.dk_stride_h, p.dk_stride_n) || !strides_ok(p.dv_stride_b, p.dv_stride_h, p.dv_stride_n))
    throw std::invalid_argument("flash backward: gradient strides must be multiples of 8 elements");
  const void* tensors[] = {p.q, p.k, p.v, p.o, p.dout, p.dq, p.dk, p.dv};
  for (const void* ptr : tensors)
    if (ptr == nullptr || !aligned16(ptr)) throw std::invalid_argument("flash backward: tensors must be 16-byte aligned");
  if (p.lse == nullptr || workspace == nullptr) throw std::invalid_argument("flash backward: lse and workspace required");

  bwd::Workspace ws;
  bwd::workspace_layout(p, workspace, &ws);
  bwd::launch_preprocess(p, ws, stream);
  if (p.kv_group > 1) bwd::launch_zero_dkv_accum(p, ws, stream);
  switch (p.head_dim) {
    case 32: bwd::launch_main<32>(p, ws, stream); break;
    case 64: bwd::launch_main<64>(p, ws, stream); break;
    case 96: bwd::launch_main<96>(p, ws, stream); break;
    case 128: bwd::launch_main<128>(p, ws, stream); break;
    case 256: bwd::launch_main<256>(p, ws, stream); break;
    default: throw std::invalid_argument("flash backward: unsupported head dim");
  }
  bwd::launch_postprocess(p, ws, stream);
  if (p.kv_group > 1) bwd::launch_dkv_convert(p, ws, stream);
}

}  // namespace fa::flash
