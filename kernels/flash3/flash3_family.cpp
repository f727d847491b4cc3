// The flash3 family's face (kernels/family.hpp): built in every configuration.
#include "kernels/family.hpp"
#include "kernels/flash/flash_io.hpp"
#include "kernels/flash3/flash3_tiles.hpp"

namespace fa {
namespace {

// flash3 moves data like FA2's kernels with its own tiles: the forward streams K/V per query tile; the
// backward (the same preprocess and postprocess) streams Q, dO, lse2, dPsum and the dQ accumulator's
// reduce-adds per key block. No backward tile at a head dim the backward lacks (256).
IoListing flash3_io(const Point& pt, const IoContext& ctx, IoLedger& ledger) {
  const int d = static_cast<int>(pt.problem.head_dim);
  const flash3::Fwd3Tile f = pt.problem.dtype == DType::fp8 ? flash3::fwd3_fp8_tile(d) : flash3::fwd3_tile(d);
  const flash3::Bwd3Tile b = flash3::bwd3_tile(d);
  return flash::fused_io(pt, {{f.bm(), f.bn}, {b.bm, b.bn}}, /*masked=*/false, ctx, ledger);
}

}  // namespace

KernelFamily flash3_family() {
  return {.name = "flash3",
          .summary = "Hopper FlashAttention-3 style: TMA, wgmma, warp-specialised forward (ping-pong) and backward "
                     "(sm_90a)",
          .backend = Backend::cuda,
          .uses_block_mask = false,
          .io_model = &flash3_io,
          .grouped_kv = true,
          .fp8 = true};
}

}  // namespace fa
