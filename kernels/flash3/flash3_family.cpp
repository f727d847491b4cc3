// The flash3 family's face (kernels/family.hpp): built in every configuration.
#include "kernels/family.hpp"
#include "kernels/flash/flash_io.hpp"
#include "kernels/flash3/flash3_tiles.hpp"

namespace fa {
namespace {

// Forward tiles of flash3; its K/V stream like FA2's (the backward has no kernel yet: no tile).
IoListing flash3_io(const Point& pt, const IoContext& ctx, IoLedger& ledger) {
  const flash3::Fwd3Tile t = flash3::fwd3_tile(static_cast<int>(pt.problem.head_dim));
  return flash::fused_io(pt, {{t.bm(), t.bn}, {0, 0}}, /*masked=*/false, ctx, ledger);
}

}  // namespace

KernelFamily flash3_family() {
  return {.name = "flash3",
          .summary = "Hopper FlashAttention-3 style: TMA, wgmma, warp-specialised ping-pong (sm_90a)",
          .backend = Backend::cuda,
          .uses_block_mask = false,
          .io_model = &flash3_io};
}

}  // namespace fa
