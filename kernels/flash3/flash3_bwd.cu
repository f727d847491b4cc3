// flash3 backward: what it supports, its workspace, the per-point plan (tensor maps, grid) and the three
// launches. The preprocess (dPsum, lse2, zeroed dQ accumulator) and postprocess (dQ in the element type)
// are the flash family's (kernels/flash/flash_bwd_launch.cuh): memory-bound passes whose interface and
// workspace layout ([B * H, Nq padded to 128, D] fp32 rows) fit the main kernel as they are.
#include <climits>
#include <cstdint>
#include <stdexcept>

#include "kernels/flash/flash_bwd_launch.cuh"
#include "kernels/flash3/flash3_bwd.hpp"
#include "kernels/flash3/flash3_fwd.hpp"
#include "kernels/flash3/flash3_tiles.hpp"
#include "kernels/flash3/flash3_tma.hpp"

namespace fa::flash3 {
namespace {

static_assert(flash::bwd::kRowPad % bwd3_tile(128).bm == 0, "workspace rows cover whole query blocks");

// The parameters the flash family's pre/post passes and workspace layout read.
flash::FlashBwdParams flash_view(const Flash3Params& p) {
  flash::FlashBwdParams f;
  f.o = p.o;
  f.lse = p.lse;
  f.o_stride_b = p.o_stride_b, f.o_stride_h = p.o_stride_h, f.o_stride_n = p.o_stride_n;
  f.batch = p.batch, f.heads = p.heads, f.seqlen_q = p.seqlen_q, f.seqlen_kv = p.seqlen_kv, f.head_dim = p.head_dim;
  f.dtype = p.dtype;
  f.scale = p.scale;
  return f;
}

flash::FlashBwdParams flash_view(const Flash3BwdParams& p) {
  flash::FlashBwdParams f = flash_view(static_cast<const Flash3Params&>(p));
  f.dout = p.dout;
  f.dq = p.dq;
  f.do_stride_b = p.do_stride_b, f.do_stride_h = p.do_stride_h, f.do_stride_n = p.do_stride_n;
  f.dq_stride_b = p.dq_stride_b, f.dq_stride_h = p.dq_stride_h, f.dq_stride_n = p.dq_stride_n;
  return f;
}

// The gradients' own strides and pointers (bwd_unsupported_reason saw the forward's operands).
const char* gradient_unsupported_reason(const Flash3BwdParams& p) {
  if (!tma_strides_ok(p.do_stride_b, p.do_stride_h, p.do_stride_n) ||
      !tma_strides_ok(p.dq_stride_b, p.dq_stride_h, p.dq_stride_n) ||
      !tma_strides_ok(p.dk_stride_b, p.dk_stride_h, p.dk_stride_n) ||
      !tma_strides_ok(p.dv_stride_b, p.dv_stride_h, p.dv_stride_n))
    return "flash3 backward: gradient strides must be multiples of 8 elements";
  if (p.lse == nullptr) return "flash3 backward: needs the forward's lse";
  const void* tensors[] = {p.q, p.k, p.v, p.o, p.dout, p.dq, p.dk, p.dv};
  for (const void* t : tensors)
    if (t == nullptr || reinterpret_cast<std::uintptr_t>(t) % 16 != 0)
      return "flash3 backward: Q, K, V, O, dO, dQ, dK, dV must be present and 16-byte aligned";
  return "";
}

// Q, dO have p.heads heads; K, V, dK, dV kv_heads_of(p).
TensorMapShape shape_of(const Flash3Params& p, const void* base, int heads, int seqlen, std::int64_t sb,
                        std::int64_t sh, std::int64_t sn) {
  return {base, p.batch, heads, seqlen, p.head_dim, sb, sh, sn, 2};
}

}  // namespace

const char* bwd_unsupported_reason(const Flash3Params& p) {
  if (p.dtype != DType::fp16 && p.dtype != DType::bf16) return "flash3 takes fp16/bf16";
  if (bwd3_tile(p.head_dim).bm == 0) return "flash3 backward head dims: 64, 96, 128 (256 is not written yet)";
  return fwd_unsupported_reason(p);
}

std::size_t bwd_workspace_bytes(const Flash3Params& p) {
  return flash::bwd::workspace_layout(flash_view(p), nullptr, nullptr);
}

Bwd3Plan plan_bwd(const Flash3BwdParams& p, void* workspace) {
  if (const char* why = bwd_unsupported_reason(p); why[0] != '\0') throw std::invalid_argument(why);
  if (const char* why = gradient_unsupported_reason(p); why[0] != '\0') throw std::invalid_argument(why);
  if (p.mask_q_blocks != nullptr) {  // checked once here, not at every launch
    if (const char* why = block_mask_unsupported_reason(p); why[0] != '\0') throw std::invalid_argument(why);
  }
  if (workspace == nullptr) throw std::invalid_argument("flash3 backward: no workspace");
  const Bwd3Tile tile = bwd3_tile(p.head_dim);
  const int swz = swizzle_cols(p.head_dim);
  Bwd3Plan plan;
  Bwd3Maps& m = plan.maps;
  const int hq = p.heads, hkv = kv_heads_of(p);
  m.q = make_tensor_map(shape_of(p, p.q, hq, p.seqlen_q, p.q_stride_b, p.q_stride_h, p.q_stride_n), swz, tile.bm,
                        2 * swz);
  m.dout = make_tensor_map(shape_of(p, p.dout, hq, p.seqlen_q, p.do_stride_b, p.do_stride_h, p.do_stride_n), swz,
                           tile.bm, 2 * swz);
  const TensorMapShape k_shape = shape_of(p, p.k, hkv, p.seqlen_kv, p.k_stride_b, p.k_stride_h, p.k_stride_n);
  m.k = make_tensor_map(k_shape, swz, tile.bn, 2 * swz);
  m.v = make_tensor_map(shape_of(p, p.v, hkv, p.seqlen_kv, p.v_stride_b, p.v_stride_h, p.v_stride_n), swz, tile.bn,
                        2 * swz);
  const int dq_swz = bwd3_dq_swizzle_cols(p.head_dim);
  m.k_dq = dq_swz == swz ? m.k : make_tensor_map(k_shape, dq_swz, tile.bn, 2 * dq_swz);
  // The fp32 accumulator [B, H, nq_pad, D], added to in boxes of 32 columns x BM rows (128-byte swizzle).
  flash::bwd::Workspace ws;
  flash::bwd::workspace_layout(flash_view(p), workspace, &ws);
  const std::int64_t row = p.head_dim, head = static_cast<std::int64_t>(ws.nq_pad) * row;
  m.dq_accum = make_tensor_map({ws.dq_accum, p.batch, p.heads, ws.nq_pad, p.head_dim, head * p.heads, head, row, 4},
                                  32, tile.bm, 128);
  // dK and dV leave in 64-key slices, one per consumer warpgroup (rows past Nk clipped by the store).
  m.dk = make_tensor_map(shape_of(p, p.dk, hkv, p.seqlen_kv, p.dk_stride_b, p.dk_stride_h, p.dk_stride_n), swz, 64,
                         2 * swz);
  m.dv = make_tensor_map(shape_of(p, p.dv, hkv, p.seqlen_kv, p.dv_stride_b, p.dv_stride_h, p.dv_stride_n), swz, 64,
                         2 * swz);
  // One CTA per (key block, K/V head, batch): it walks the query heads of its group (flash3_bwd_kernel.cuh).
  const long long blocks = static_cast<long long>((p.seqlen_kv + tile.bn - 1) / tile.bn) * hkv * p.batch;
  if (blocks > INT_MAX) {
    throw std::invalid_argument("flash3 backward: more than 2^31 - 1 key blocks x K/V heads x batch");
  }
  plan.grid = static_cast<unsigned>(blocks);
  plan.workspace = workspace;
  return plan;
}

namespace {

// The main kernel's instance for the head dim, and the block mask's when the parameters hold its lists.
void launch_main(const Flash3BwdParams& p, const Bwd3Plan& plan, void* stream) {
  if (p.mask_q_blocks != nullptr) {  // plan_bwd has checked block_mask_unsupported_reason
    if (p.head_dim == 64) launch_bwd_block_mask<64>(p, plan, stream);
    else launch_bwd_block_mask<128>(p, plan, stream);
    return;
  }
  switch (p.head_dim) {
    case 64: launch_bwd<64>(p, plan, stream); break;
    case 96: launch_bwd<96>(p, plan, stream); break;
    case 128: launch_bwd<128>(p, plan, stream); break;
    default: throw std::invalid_argument("flash3 backward: unsupported head dim");
  }
}

}  // namespace

void run_bwd(const Flash3BwdParams& p, const Bwd3Plan& plan, void* stream) {
  const flash::FlashBwdParams fp = flash_view(p);
  flash::bwd::Workspace ws;
  flash::bwd::workspace_layout(fp, plan.workspace, &ws);
  Flash3BwdParams main = p;
  main.lse2 = ws.lse2;
  main.dpsum = ws.delta;
  main.nq_pad = ws.nq_pad;
  flash::bwd::launch_preprocess(fp, ws, stream);
  launch_main(main, plan, stream);
  flash::bwd::launch_postprocess(fp, ws, stream);
}

}  // namespace fa::flash3
