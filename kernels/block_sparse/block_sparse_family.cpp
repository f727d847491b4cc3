// The block_sparse family's face (kernels/family.hpp): the flash3 (sm_90) or flash kernels driven by a block
// mask, so the flash IO model over the tile pairs the mask keeps (with flash's tiles: the face cannot know
// which GPU runs the point).
#include "kernels/block_sparse/block_sparse_family.hpp"

#include "kernels/flash/flash_io.hpp"

namespace fa {
namespace {

IoListing block_sparse_io(const Point& pt, const IoContext& ctx, IoLedger& ledger) {
  return flash::fused_io(pt, flash::flash_io_tiles(pt.problem.head_dim), /*masked=*/true, ctx, ledger);
}

}  // namespace

KernelFamily block_sparse_family() {
  return {.name = "block_sparse",
          .summary = "flash3 (sm_90) or flash driven by a block mask; masked tiles never loaded",
          .backend = Backend::cuda,
          .uses_block_mask = true,
          .io_model = &block_sparse_io};
}

}  // namespace fa
