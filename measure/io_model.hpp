#pragma once
// IO-complexity model: how many bytes a kernel family moves for one pass of a point, following the
// HBM-access analysis of the FlashAttention paper (Dao et al. 2022, Theorem 2 and its proof) made
// concrete for the kernels in kernels/. Each family lists its own launches and streams (its face's
// io_model, core/io_ledger.hpp); this model adds the L2 rule and the derived columns, and knows no
// family. docs/io-model.md gives every formula.
//
// Two numbers per point, because a GPU has an L2 cache between the SMs and HBM:
//   global_bytes: every load and store the kernel issues to global memory (the paper's count, where
//                 a K/V tile re-read once per Q tile counts every time). Comparable to L2 traffic.
//   hbm_bytes:    an estimate of what reaches DRAM (what dram__bytes_read.sum + dram__bytes_write.sum
//                 measure): each launch reads its inputs and writes its outputs once, and in-launch
//                 re-reads cost HBM bytes only when the re-read working set of the CTAs running at the
//                 same time does not fit in L2; when the whole pass fits in L2, every tensor is read
//                 and written once per pass.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/io_ledger.hpp"
#include "core/problem.hpp"
#include "core/result.hpp"

namespace fa {

struct IoModelParams {
  // Memory hierarchy of the GPU (defaults: H100 SXM 80GB).
  double l2_bytes = 50.0 * 1024 * 1024;
  int sm_count = 132;
  int ctas_per_sm = 1;  // resident CTAs of a fused kernel per SM (1 for tiles with large shared memory)
  // Tile of fused kernels in rows: 0 = each family's own tile for the head dim and pass.
  int tile_q = 0;  // Br: query rows per tile
  int tile_k = 0;  // Bc: key columns per tile
  // The paper's on-chip memory M in bytes; when > 0 and no tile is given, the tiles follow the
  // paper's rule Bc = ceil(M / (4 d e)), Br = min(Bc, d) with e bytes per element.
  double sram_bytes = 0;
  // Ceilings for the derived columns (measured on an H100: docs/perf/h100-anchors.md).
  double peak_hbm_bytes_per_s = 3.02e12;  // device-to-device copy, read + write counted
  double peak_flops = 779e12;             // bf16 dense GEMM
  // fp8 (e4m3) points: Hopper's fp8 tensor rate is twice its bf16 rate (H100/H200 dense: 1979 vs 989
  // TFLOP/s); no fp8 GEMM anchor is measured yet, so twice the bf16 anchor.
  double peak_flops_fp8 = 2 * 779e12;
};

struct IoPrediction {
  bool modelled = false;
  std::string note;  // why not modelled, or the assumptions that apply ("tiles assumed", ...)
  double global_bytes = 0;
  double hbm_bytes = 0;
  double hbm_read_bytes = 0, hbm_write_bytes = 0;
  double compulsory_bytes = 0;  // every distinct tensor of the pass read or written once
  int tile_q = 0, tile_k = 0;   // the tile of the fused-kernel terms (0 when the family has none)
  std::vector<IoTerm> terms;
};

// The prediction for the family's listing of the point's pass (not modelled: a family unknown here or
// without an io_model, with the reason in the note).
IoPrediction predict_io(const Point& pt, std::string_view kernel_family, const IoModelParams& params);

// Predicted HBM bytes (IoPrediction::hbm_bytes), or NaN when not modelled.
double predicted_hbm_bytes(const Point& pt, std::string_view kernel_family, const IoModelParams& params);

// Columns derived from a measured row. Each is empty when its inputs are missing.
struct IoDerived {
  std::optional<double> hbm_bytes;             // measured read + write (counters)
  std::optional<double> achieved_hbm_gbps;     // measured bytes / median time
  std::optional<double> pct_peak_bandwidth;    // achieved / peak_hbm_bytes_per_s
  std::optional<double> arithmetic_intensity;  // FLOP per measured HBM byte (model bytes if unmeasured)
  std::optional<double> pct_peak_flops;        // achieved FLOP/s / peak_flops
  std::optional<double> bytes_over_model;      // measured / io_model_bytes
};
IoDerived derive_io(const Row& row, const IoModelParams& params);

}  // namespace fa
