// Host glue of the flash family: Problem + Operands -> FlashParams, support checks, scratch for the
// backward, and the PreparedRun that enqueues flash_fwd / flash_bwd.
#include "kernels/flash/flash_kernel.hpp"

#include <cuda_runtime_api.h>

#include <climits>
#include <stdexcept>
#include <string>

#include "core/cuda_check.hpp"
#include "core/philox.hpp"
#include "kernels/flash/flash_decode.hpp"

namespace fa {
namespace flash {

namespace {

bool fits_int(std::int64_t v) { return v >= 1 && v <= INT_MAX; }

// The forward runs the split-K/V decode kernels when the plan says so (flash_decode_plan.hpp), with
// their chunk partials in scratch; the forward a backward-only measurement needs runs the normal path
// (its O and lse mean the same), so a bwd pass allocates no decode scratch.
class FlashRun final : public PreparedRun {
 public:
  FlashRun(const FlashBwdParams& params, Pass pass, const ExecContext& ctx, const DecodePlan& decode,
           std::size_t decode_bytes)
      : params_(params), pass_(pass), stream_(ctx.stream), decode_(decode) {
    if (pass != Pass::fwd) {
      const std::size_t bytes = flash_bwd_workspace_bytes(params_);
      if (bytes > 0) workspace_ = Buffer(*ctx.scratch, bytes, "flash: backward workspace");
    }
    if (pass != Pass::bwd && decode_.split && decode_bytes > 0) {
      decode_workspace_ = Buffer(*ctx.scratch, decode_bytes, "flash: split-K/V decode partials");
    }
    if (pass == Pass::bwd) {
      // Backward-only timing reads O and lse of a forward that must stay out of the timed region.
      flash_fwd(params_, stream_);
      FA_CUDA_CHECK(cudaStreamSynchronize(static_cast<cudaStream_t>(stream_)));
    }
  }

  void run() override {
    if (pass_ != Pass::bwd) {
      if (decode_.split) flash_decode_fwd(params_, decode_, decode_workspace_.get(), stream_);
      else flash_fwd(params_, stream_);
    }
    if (pass_ != Pass::fwd) flash_bwd(params_, workspace_.get(), stream_);
  }

 private:
  FlashBwdParams params_;
  Pass pass_;
  void* stream_;
  DecodePlan decode_;
  Buffer workspace_, decode_workspace_;
};

}  // namespace

FlashBwdParams params_for(const Problem& p, const Operands* ops, bool use_mask) {
  FlashBwdParams f;
  problem_shape_into(p, f);
  f.kv_group = static_cast<int>(p.kv_group());
  f.dropout = static_cast<float>(dropout_p_used(p.dropout));  // t8 / 256: exact in float
  f.dropout_threshold = dropout_threshold8(p.dropout);

  // Strides of the point's layout; the operands' own pointers and strides win when given.
  layout_strides_into(p, f);

  if (use_mask && !p.sparsity.is_dense()) {
    f.mask_block_q = p.sparsity.block_q;
    f.mask_block_k = p.sparsity.block_k;
  }
  if (ops == nullptr) return f;
  operands_into(*ops, f);
  f.cu_seqlens = ops->cu_seqlens;  // varlen: packed rows per sequence
  if (use_mask && ops->block_mask != nullptr) {
    f.block_mask = ops->block_mask;
    f.mask_heads = static_cast<int>(ops->mask_heads);
    f.mask_blocks_q = static_cast<int>(ops->mask_blocks_q);
    f.mask_blocks_k = static_cast<int>(ops->mask_blocks_k);
  }
  return f;
}

Support FlashKernel::supports(const Problem& p, Pass pass) const {
  if (p.dtype != DType::fp16 && p.dtype != DType::bf16) return Support::no("flash takes fp16/bf16");
  const auto d = p.head_dim;
  if (d != 32 && d != 64 && d != 96 && d != 128 && d != 256) {
    return Support::no("flash head dims: 32, 64, 96, 128, 256");
  }
  if (!fits_int(p.batch) || !fits_int(p.heads) || !fits_int(p.seqlen_q) || !fits_int(p.seqlen_kv)) {
    return Support::no("flash needs batch, heads and sequence lengths in [1, 2^31)");
  }
  if (!p.kv_heads_divide()) return Support::no("flash needs K/V heads that divide the query heads");
  if (const std::string why = decode_switch_error(); !why.empty()) return Support::no(why);
  if (takes_block_mask()) {  // block_sparse: a mask row per query tile of one length
    if (const Support s = refuse_varlen(name(), p); !s.ok) return s;
  }
  const FlashBwdParams f = params_for(p, nullptr, takes_block_mask());
  if (const char* why = flash_fwd_unsupported_reason(f); why[0] != '\0') return Support::no(why);
  if (pass != Pass::fwd) {
    if (const char* why = flash_bwd_unsupported_reason(f); why[0] != '\0') return Support::no(why);
  }
  return Support::yes();
}

DecodeShape FlashKernel::decode_shape_of(const Problem& p) const { return decode_shape(p, takes_block_mask()); }

std::size_t FlashKernel::workspace_bytes(const Problem& p, Pass pass) const {
  std::size_t bytes = 0;
  if (pass != Pass::fwd) bytes += flash_bwd_workspace_bytes(params_for(p, nullptr, takes_block_mask()));
  if (pass != Pass::bwd) {
    const DecodeShape s = decode_shape_of(p);
    bytes += decode_workspace_bytes(s, decode_plan(s));
  }
  return bytes;
}

std::string FlashKernel::point_note(const Problem& p, Pass pass) const {
  if (pass == Pass::bwd || takes_block_mask()) return "";
  const DecodeShape s = decode_shape_of(p);
  return decode_note(s, decode_plan(s));
}

std::unique_ptr<PreparedRun> FlashKernel::prepare(const Problem& p, Pass pass, const Operands& ops,
                                                  const ExecContext& ctx) {
  const FlashBwdParams f = params_for(p, &ops, takes_block_mask());
  // The operands' real pointers and strides are checked here (supports() saw only the layout).
  if (const char* why = flash_fwd_unsupported_reason(f); why[0] != '\0') {
    throw std::invalid_argument(std::string(name()) + ": " + why);
  }
  const DecodeShape s = decode_shape_of(p);
  const DecodePlan plan = decode_plan(s);
  return std::make_unique<FlashRun>(f, pass, ctx, plan, decode_workspace_bytes(s, plan));
}

}  // namespace flash

std::unique_ptr<AttentionKernel> make_flash_kernel() { return std::make_unique<flash::FlashKernel>(); }

FamilyBuild flash_build() { return {.factory = &make_flash_kernel}; }

}  // namespace fa
