// The cudnn family's face (kernels/family.hpp). Host C++ only: no cuDNN header, so it builds where
// cuDNN is missing and `fa-bench list` can say so.
#include "kernels/cudnn/cudnn_family.hpp"

#include "kernels/flash/flash_io.hpp"

namespace fa {
namespace {

// cuDNN's SDPA engines are fused flash kernels whose tiles cuDNN does not report: the fused model
// with tiles assumed, and the row says so.
IoListing cudnn_io(const Point& pt, const IoContext& ctx, IoLedger& ledger) {
  IoListing r = flash::fused_io(pt, {{128, 128}, {64, 128}}, /*masked=*/false, ctx, ledger);
  if (r.modelled) r.note = "cuDNN tiles assumed (128x128 forward, 64x128 backward)";
  if (r.modelled && pt.pass != Pass::fwd && pt.problem.grouped_kv())
    r.note += "; its reduction of dK/dV over grouped K/V heads not modelled";
  // Where cuDNN refuses a bf16 O for fp8 (before Blackwell) the run converts an e4m3 O (cudnn_fp8_output.hpp).
  if (r.modelled && pt.problem.dtype == DType::fp8)
    r.note += "; fp8 O converted to bf16 where cuDNN has no bf16 O (Hopper), included in the time, its bytes not modelled";
  return r;
}

}  // namespace

KernelFamily cudnn_family() {
  return {.name = "cudnn",
          .summary = "cuDNN fused flash SDPA through the cuDNN frontend (vendor yardstick); fp8: where cuDNN has "
                     "no bf16 O (Hopper), fp8 O converted to bf16, included in the time",
          .backend = Backend::cuda,
          .uses_block_mask = false,
          .io_model = &cudnn_io,
          .grouped_kv = true,
          .fp8 = true,
          .varlen = true};
}

}  // namespace fa
