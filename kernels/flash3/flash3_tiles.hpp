#pragma once
// Tile shapes of the flash3 forward per head dim: the one copy. The CUDA traits (flash3_fwd_traits.cuh,
// which says why these shapes) are built from it and the family's IO model (flash3_family.cpp) reads it.
// Plain C++: the face includes it in builds without CUDA.
namespace fa::flash3 {

struct Fwd3Tile {
  int consumer_wgs = 0;  // 64 query rows each: BM = 64 x consumer_wgs
  int bn = 0;            // keys per K/V block
  constexpr int bm() const { return 64 * consumer_wgs; }
};

// {0, 0} for a head dim the kernels are not instantiated for.
constexpr Fwd3Tile fwd3_tile(int d) {
  switch (d) {
    case 64: return {3, 128};
    case 96:
    case 128: return {2, 128};
    case 256: return {2, 64};
    default: return {};
  }
}

}  // namespace fa::flash3
