#pragma once
// Tile shapes of the flash kernels per head dim, query rows (Br) x key columns (Bc): the one copy.
// The CUDA traits (flash_fwd_traits.cuh, flash_bwd_traits.cuh, which say why these shapes) are built
// from it and the IO model (flash_io.cpp) reads it, so a retune is one line here. Plain C++: the
// family's face includes it in builds without CUDA.
namespace fa::flash {

struct TileShape {
  int br = 0, bc = 0;
};

// 0 x 0 for a head dim the kernels are not instantiated for.
constexpr TileShape fwd_tile(int d) {
  switch (d) {
    case 32:
    case 64:
    case 96:
    case 128:
    case 256: return {128, 64};
    default: return {};
  }
}

constexpr TileShape bwd_tile(int d) {
  switch (d) {
    case 32: return {128, 128};
    case 64:
    case 96:
    case 128: return {64, 128};
    case 256: return {64, 64};
    default: return {};
  }
}

}  // namespace fa::flash
