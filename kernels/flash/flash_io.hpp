#pragma once
// IO-model inputs of FA2-style fused tiled attention (docs/io-model.md, "flash"): the launches of a
// forward (one fused kernel) and a backward (preprocess, main, postprocess) and the tensors each
// streams, with the K/V (forward) and Q/dO/accumulator (backward) tiles re-read once per loaded tile
// pair. The flash family's model, and that of any family whose kernels move data the same way with
// their own tiles (block_sparse, cudnn).
#include <cstdint>
#include <string>

#include "core/io_ledger.hpp"

namespace fa::flash {

struct FusedTiles {
  IoTile fwd, bwd;
};

// The flash kernels' tiles (flash_tiles.hpp); 0 x 0 at a head dim they do not have.
FusedTiles flash_io_tiles(std::int64_t head_dim);

// The terms of pt's pass for a fused kernel with tiles `own` (unless the context forces a tile or
// the paper's rule). masked: only the tile pairs the point's block mask keeps are loaded. With
// grouped K/V heads, K and V are distinct once per K/V head and loaded once per query head;
// dkv_accumulators: the backward sums the group's dK/dV in fp32 accumulators (the flash kernels),
// else dK and dV are written once (what a family's own reduction costs is not modelled).
IoListing fused_io(const Point& pt, FusedTiles own, bool masked, const IoContext& ctx, IoLedger& ledger,
                   bool dkv_accumulators = false);

// The flash family's IO model (its face's io_model).
IoListing flash_io(const Point& pt, const IoContext& ctx, IoLedger& ledger);

}  // namespace fa::flash
