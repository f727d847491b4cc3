#pragma once
// The words a kernel family uses to tell the IO-complexity model (measure/io_model.hpp) what one pass
// of a point moves: its launches and, per launch, the load and store streams of each tensor. The
// family lists them (its face's io_model, kernels/<family>/); the model turns them into global and
// HBM bytes with one L2 rule that knows no family. docs/io-model.md gives every family's terms.
#include <string>
#include <vector>

#include "core/problem.hpp"

namespace fa {

// One load or store stream of one launch: `distinct_bytes` of the tensor are touched, `global_bytes`
// are issued (more than distinct when tiles are re-read), `reread_working_set` is the bytes the CTAs
// that run concurrently re-read (what must stay in L2 for the re-reads to hit).
struct IoTerm {
  int launch = 0;
  std::string kernel;  // "gemm QK^T", "softmax", "flash fwd", ...
  std::string tensor;  // "Q", "S", "dq_accum", ...
  bool write = false;
  double distinct_bytes = 0;
  double global_bytes = 0;
  double reread_working_set = 0;
  double hbm_bytes = 0;  // filled in by the model
};

// Collects the terms of one pass, launch by launch.
class IoLedger {
 public:
  explicit IoLedger(std::vector<IoTerm>* terms) : terms_(terms) {}
  void launch(std::string kernel);
  // A tensor streamed exactly once by this launch.
  void read(const std::string& tensor, double bytes) { add(tensor, false, bytes, bytes, 0); }
  void write(const std::string& tensor, double bytes) { add(tensor, true, bytes, bytes, 0); }
  // A tensor of `distinct` bytes loaded as `global` bytes in tiles; the concurrently running CTAs
  // re-read `working_set` bytes.
  void reread(const std::string& tensor, bool write, double distinct, double global, double working_set);

 private:
  void add(const std::string& tensor, bool write, double distinct, double global, double working_set);
  std::vector<IoTerm>* terms_;
  int launch_ = -1;
  std::string kernel_;
};

// A fused kernel's tile: query rows (Br) x key columns (Bc). 0 = not given.
struct IoTile {
  int q = 0, k = 0;
};

// What the model tells a family about the GPU and its what-if knobs (measure/io_model.hpp's
// IoModelParams, less what only the L2 rule needs).
struct IoContext {
  int sm_count = 132;
  int ctas_per_sm = 1;  // resident CTAs of a fused kernel per SM
  IoTile tile;          // a tile forced on fused kernels (0: each family's own)
  double sram_bytes = 0;  // > 0 and no tile forced: fused tiles follow the paper's rule for this M
};

// What a family says besides its terms.
struct IoListing {
  bool modelled = false;
  std::string note;  // assumptions that apply ("tiles assumed"), or why not modelled
  IoTile tile;       // the tile of the fused-kernel terms (0 when there are none)
};

// A family's IO-model inputs: the terms of one point's pass appended to `ledger`.
using IoModelFn = IoListing (*)(const Point& pt, const IoContext& ctx, IoLedger& ledger);

}  // namespace fa
