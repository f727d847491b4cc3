// The IO-complexity model of io_model.hpp. Each family lists its launches and, per launch, the
// load/store streams (IoTerm); finish() turns them into global and HBM bytes with one shared L2
// rule. docs/io-model.md derives every term; keep the two in step.
#include "measure/io_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>

#include "core/block_mask.hpp"
#include "core/flops.hpp"
#include "reference/masks.hpp"

namespace fa {
namespace {

constexpr double kLseBytes = 4.0;  // lse, delta and friends are fp32 per query row

// Rows longer than this (elements) no longer fit in registers in the standard softmax, which then
// reads S twice (kernels/standard/softmax_forward.cu: 256 threads x 64 floats).
constexpr std::int64_t kSoftmaxResidentMaxRow = 256 * 64;

// Tiles of the flash kernels (kernels/flash/flash_fwd_traits.cuh, flash_bwd_traits.cuh). Duplicated
// here because those headers are CUDA-only; a retune there must be mirrored here.
struct Tile {
  int q = 0, k = 0;
};
Tile flash_fwd_tile(std::int64_t /*d*/) { return {128, 64}; }
Tile flash_bwd_tile(std::int64_t d) {
  if (d <= 32) return {128, 128};
  if (d <= 128) return {64, 128};
  return {64, 64};
}

double miss_fraction(double working_set, double l2) {
  if (working_set <= l2 || working_set <= 0) return 0.0;
  return 1.0 - l2 / working_set;
}

// Sums over the (query tile, key tile) pairs a fused kernel loads, over all batches and heads:
// pairs, and the rows / columns those pairs cover (edge tiles counted at their real size).
struct PairSums {
  double pairs = 0, rows = 0, cols = 0;
};

struct TileGrid {
  std::int64_t nq, nk;
  int br, bc;
  std::int64_t tq() const { return (nq + br - 1) / br; }
  std::int64_t tk() const { return (nk + bc - 1) / bc; }
  std::int64_t rows(std::int64_t qt) const { return std::min<std::int64_t>(br, nq - qt * br); }
  std::int64_t cols(std::int64_t kt) const { return std::min<std::int64_t>(bc, nk - kt * bc); }
};

// Tile pairs of one head: a pair is loaded when some element of it is causally visible and (with a
// mask) some mask block it overlaps is kept.
PairSums head_pairs(const TileGrid& g, bool causal, const BlockMask* mask, std::int64_t head) {
  PairSums s;
  const std::int64_t off = g.nk - g.nq;  // bottom-right aligned causal: row i sees cols <= i + off
  for (std::int64_t qt = 0; qt < g.tq(); ++qt) {
    const std::int64_t r0 = qt * g.br, r1 = r0 + g.rows(qt);
    // Causal: key tiles [0, k_end) have a visible element for some row of this tile.
    std::int64_t k_end = g.tk();
    if (causal) {
      const std::int64_t last_col = r1 - 1 + off;  // last visible column of the tile's last row
      k_end = last_col < 0 ? 0 : std::min<std::int64_t>(g.tk(), last_col / g.bc + 1);
    }
    if (!mask) {
      if (k_end == 0) continue;
      const double cols = static_cast<double>(std::min<std::int64_t>(k_end * g.bc, g.nk));
      s.pairs += static_cast<double>(k_end);
      s.rows += static_cast<double>(k_end) * static_cast<double>(r1 - r0);
      s.cols += cols;
      continue;
    }
    const std::int64_t bq0 = r0 / mask->block_q, bq1 = (r1 - 1) / mask->block_q;
    for (std::int64_t kt = 0; kt < k_end; ++kt) {
      const std::int64_t c0 = kt * g.bc, c1 = c0 + g.cols(kt);
      const std::int64_t bk0 = c0 / mask->block_k, bk1 = (c1 - 1) / mask->block_k;
      bool kept = false;
      for (std::int64_t bq = bq0; bq <= bq1 && !kept; ++bq)
        for (std::int64_t bk = bk0; bk <= bk1 && !kept; ++bk) kept = mask->at(head, bq, bk) != 0;
      if (!kept) continue;
      s.pairs += 1;
      s.rows += static_cast<double>(r1 - r0);
      s.cols += static_cast<double>(c1 - c0);
    }
  }
  return s;
}

PairSums loaded_pairs(const Problem& p, int br, int bc, const BlockMask* mask) {
  const TileGrid g{p.seqlen_q, p.seqlen_kv, br, bc};
  PairSums total;
  const std::int64_t distinct_heads = mask && mask->heads > 1 ? p.heads : 1;
  for (std::int64_t h = 0; h < distinct_heads; ++h) {
    const PairSums s = head_pairs(g, p.causal, mask, h);
    total.pairs += s.pairs, total.rows += s.rows, total.cols += s.cols;
  }
  const double mult = static_cast<double>(p.batch) * static_cast<double>(p.heads / distinct_heads);
  total.pairs *= mult, total.rows *= mult, total.cols *= mult;
  return total;
}

// Collects the terms of one pass, launch by launch.
class Ledger {
 public:
  explicit Ledger(std::vector<IoTerm>* terms) : terms_(terms) {}
  void launch(std::string kernel) {
    ++launch_;
    kernel_ = std::move(kernel);
  }
  // A tensor streamed exactly once by this launch.
  void read(const std::string& tensor, double bytes) { add(tensor, false, bytes, bytes, 0); }
  void write(const std::string& tensor, double bytes) { add(tensor, true, bytes, bytes, 0); }
  // A tensor of `distinct` bytes loaded as `global` bytes in tiles; the concurrently running CTAs
  // re-read `working_set` bytes.
  void reread(const std::string& tensor, bool write, double distinct, double global, double working_set) {
    add(tensor, write, std::min(distinct, global), global, working_set);
  }

 private:
  void add(const std::string& tensor, bool write, double distinct, double global, double ws) {
    IoTerm t;
    t.launch = launch_;
    t.kernel = kernel_;
    t.tensor = tensor;
    t.write = write;
    t.distinct_bytes = distinct;
    t.global_bytes = global;
    t.reread_working_set = ws;
    terms_->push_back(std::move(t));
  }
  std::vector<IoTerm>* terms_;
  int launch_ = -1;
  std::string kernel_;
};

// ---- standard: cuBLAS GEMMs around materialised S and P (kernels/standard/standard_kernel.cpp) ----

void standard_forward(const Problem& p, const IoModelParams& prm, Ledger& L) {
  const double eb = static_cast<double>(dtype_bytes(p.dtype));
  const double bh = static_cast<double>(p.batch * p.heads);
  const double nq = static_cast<double>(p.seqlen_q), nk = static_cast<double>(p.seqlen_kv);
  const double per16 = 16.0 / eb;
  const double ld = std::ceil(nk / per16) * per16;  // padded score row (16-byte aligned rows)
  const double q = static_cast<double>(q_elements(p)) * eb, kv = static_cast<double>(kv_elements(p)) * eb;
  const double scores = bh * nq * nk * eb;         // what a GEMM reads or writes of S / P
  const double rows_written = bh * nq * ld * eb;   // what an element-wise kernel writes (padding too)
  const double vis = visible_fraction(p, 1.0);     // element-wise kernels read visible columns only
  const double lse = bh * nq * kLseBytes;
  const double row_bytes = ld * eb;

  L.launch("gemm S = scale Q K^T");
  L.read("Q", q);
  L.read("K", kv);
  L.write("S_buf", scores);
  L.launch("softmax (+mask, dropout)");
  if (p.seqlen_kv > kSoftmaxResidentMaxRow) {  // two sweeps over each row, the second mostly from L2
    L.reread("S_buf", false, scores * vis, 2 * scores * vis,
             8.0 * prm.sm_count * row_bytes);  // a few rows in flight per SM
  } else {
    L.read("S_buf", scores * vis);
  }
  L.write("P_buf", rows_written);
  L.write("lse", lse);
  L.launch("gemm O = P V");
  L.read("P_buf", scores);
  L.read("V", kv);
  L.write("O", q);
}

// pd_fresh: the P buffer still holds this pass's dropped probabilities (fwdbwd), see the buffer
// schedule at the top of standard_kernel.cpp.
void standard_backward(const Problem& p, bool pd_fresh, Ledger& L) {
  const double eb = static_cast<double>(dtype_bytes(p.dtype));
  const double bh = static_cast<double>(p.batch * p.heads);
  const double nq = static_cast<double>(p.seqlen_q), nk = static_cast<double>(p.seqlen_kv);
  const double per16 = 16.0 / eb;
  const double ld = std::ceil(nk / per16) * per16;
  const double q = static_cast<double>(q_elements(p)) * eb, kv = static_cast<double>(kv_elements(p)) * eb;
  const double scores = bh * nq * nk * eb;
  const double rows_written = bh * nq * ld * eb;
  const double vis = visible_fraction(p, 1.0);
  const double rowf = bh * nq * kLseBytes;
  const bool dropout = p.dropout > 0.0;
  // dPd and then dS live in the S buffer without dropout, in the P buffer with it.
  const std::string grad = dropout ? "P_buf" : "S_buf";

  L.launch("row_dot delta = rowsum(dO O)");
  L.read("O", q);
  L.read("dO", q);
  L.write("delta", rowf);
  if (dropout && !pd_fresh) {
    L.launch("recompute Pd from S, lse");
    L.read("S_buf", scores * vis);
    L.read("lse", rowf);
    L.write("P_buf", rows_written);
  }
  L.launch("gemm dV = Pd^T dO");
  L.read("P_buf", scores);
  L.read("dO", q);
  L.write("dV", kv);
  L.launch("gemm dPd = dO V^T");
  L.read("dO", q);
  L.read("V", kv);
  L.write(grad, scores);
  L.launch("softmax backward dS");
  if (dropout) {
    L.read("S_buf", scores * vis);
    L.read("lse", rowf);
  } else {
    L.read("P_buf", scores * vis);
  }
  L.read(grad, scores * vis);
  L.read("delta", rowf);
  L.write(grad, rows_written);
  L.launch("gemm dQ = scale dS K");
  L.read(grad, scores);
  L.read("K", kv);
  L.write("dQ", q);
  L.launch("gemm dK = scale dS^T Q");
  L.read(grad, scores);
  L.read("Q", q);
  L.write("dK", kv);
}

// ---- flash / block_sparse / cudnn: fused tiled kernels (kernels/flash) ----

struct FusedSetup {
  Tile fwd, bwd;
  const BlockMask* mask = nullptr;
  double concurrent_ctas = 132;
};

// Heads whose tiles run at the same time: the grid is head-major with `tiles_per_head` CTAs per
// head, so a wave of `concurrent` CTAs spans this many heads (one more for the partial head at
// each end of the wave).
double live_heads(const Problem& p, double tiles_per_head, double concurrent) {
  const double bh = static_cast<double>(p.batch * p.heads);
  if (tiles_per_head <= 0) return 1;
  return std::min(bh, std::ceil(concurrent / tiles_per_head) + 1.0);
}

void flash_forward(const Problem& p, const FusedSetup& s, Ledger& L) {
  const double eb = static_cast<double>(dtype_bytes(p.dtype));
  const double d = static_cast<double>(p.head_dim);
  const double bh = static_cast<double>(p.batch * p.heads);
  const double nq = static_cast<double>(p.seqlen_q), nk = static_cast<double>(p.seqlen_kv);
  const double q = static_cast<double>(q_elements(p)) * eb, kv = static_cast<double>(kv_elements(p)) * eb;
  const PairSums pairs = loaded_pairs(p, s.fwd.q, s.fwd.k, s.mask);
  const double kv_global = pairs.cols * d * eb;  // one K (or V) tile per loaded pair
  const double q_tiles = std::ceil(nq / s.fwd.q);
  const double ws = live_heads(p, q_tiles, s.concurrent_ctas) * 2.0 * nk * d * eb;  // K + V per head

  L.launch("flash forward");
  L.read("Q", q);
  L.reread("K", false, kv, kv_global, ws);
  L.reread("V", false, kv, kv_global, ws);
  L.write("O", q);
  L.write("lse", bh * nq * kLseBytes);
}

void flash_backward(const Problem& p, const FusedSetup& s, Ledger& L) {
  const double eb = static_cast<double>(dtype_bytes(p.dtype));
  const double d = static_cast<double>(p.head_dim);
  const double bh = static_cast<double>(p.batch * p.heads);
  const double nq = static_cast<double>(p.seqlen_q), nk = static_cast<double>(p.seqlen_kv);
  const double q = static_cast<double>(q_elements(p)) * eb, kv = static_cast<double>(kv_elements(p)) * eb;
  const double rowf = bh * nq * kLseBytes;
  const double acc = bh * nq * d * 4.0;  // dQ accumulator, fp32
  // The main kernel owns a K/V tile and loops over the Q tiles that see it: Q, dO, lse, delta and
  // the dQ accumulator are streamed once per loaded pair.
  const PairSums pairs = loaded_pairs(p, s.bwd.q, s.bwd.k, s.mask);
  const double k_tiles = std::ceil(nk / s.bwd.k);
  const double per_head_reread = nq * (2.0 * d * eb + 2.0 * kLseBytes + d * 4.0);
  const double ws = live_heads(p, k_tiles, s.concurrent_ctas) * per_head_reread;

  L.launch("flash bwd preprocess (delta, lse, zero dQ acc)");
  L.read("O", q);
  L.read("dO", q);
  L.read("lse", rowf);
  L.write("delta", rowf);
  L.write("lse2", rowf);
  L.write("dq_accum", acc);
  L.launch("flash bwd main");
  L.read("K", kv);
  L.read("V", kv);
  L.reread("Q", false, q, pairs.rows * d * eb, ws);
  L.reread("dO", false, q, pairs.rows * d * eb, ws);
  L.reread("lse2", false, rowf, pairs.rows * kLseBytes, ws);
  L.reread("delta", false, rowf, pairs.rows * kLseBytes, ws);
  // Atomic adds: a read and a write of the accumulator tile at L2 per loaded pair.
  L.reread("dq_accum", false, acc, pairs.rows * d * 4.0, ws);
  L.reread("dq_accum", true, acc, pairs.rows * d * 4.0, ws);
  L.write("dK", kv);
  L.write("dV", kv);
  L.launch("flash bwd postprocess (dQ acc -> dQ)");
  L.read("dq_accum", acc);
  L.write("dQ", q);
}

// Per-tensor footprint of a pass: the largest extent touched by any term.
std::map<std::string, double> footprint(const std::vector<IoTerm>& terms) {
  std::map<std::string, double> f;
  for (const IoTerm& t : terms) f[t.tensor] = std::max(f[t.tensor], t.distinct_bytes);
  return f;
}

void finish(IoPrediction& r, const IoModelParams& prm) {
  const auto fp = footprint(r.terms);
  double total_footprint = 0;
  for (const auto& [name, bytes] : fp) total_footprint += bytes;

  // Compulsory: each tensor read once if its first access in the pass is a read (it comes from
  // HBM), written once if it is ever written.
  std::map<std::string, bool> seen, written;
  double comp_read = 0, comp_write = 0;
  std::vector<double> comp_term(r.terms.size(), 0.0);
  for (std::size_t i = 0; i < r.terms.size(); ++i) {
    const IoTerm& t = r.terms[i];
    if (!seen[t.tensor] && !t.write) {
      comp_read += fp.at(t.tensor);
      comp_term[i] = fp.at(t.tensor);
    }
    seen[t.tensor] = true;
    if (t.write && !written[t.tensor]) {
      comp_write += fp.at(t.tensor);
      comp_term[i] = fp.at(t.tensor);
      written[t.tensor] = true;
    }
  }
  r.compulsory_bytes = comp_read + comp_write;

  const bool fits = total_footprint <= prm.l2_bytes;
  r.global_bytes = r.hbm_read_bytes = r.hbm_write_bytes = 0;
  for (std::size_t i = 0; i < r.terms.size(); ++i) {
    IoTerm& t = r.terms[i];
    r.global_bytes += t.global_bytes;
    t.hbm_bytes = fits ? comp_term[i]
                       : t.distinct_bytes + (t.global_bytes - t.distinct_bytes) *
                                                miss_fraction(t.reread_working_set, prm.l2_bytes);
    (t.write ? r.hbm_write_bytes : r.hbm_read_bytes) += t.hbm_bytes;
  }
  r.hbm_bytes = r.hbm_read_bytes + r.hbm_write_bytes;
  if (fits) {
    if (!r.note.empty()) r.note += "; ";
    r.note += "whole pass fits in L2: compulsory traffic only (small outputs may reach HBM after the range)";
  }
}

Tile paper_tile(double sram_bytes, double d, double eb) {
  // Algorithm 1 of the paper: Bc = ceil(M / 4d), Br = min(Bc, d), M and d in elements.
  const int bc = std::max(1, static_cast<int>(std::ceil(sram_bytes / eb / (4.0 * d))));
  return {std::min(bc, static_cast<int>(d)), bc};
}

}  // namespace

IoPrediction predict_io(const Point& pt, std::string_view family, const IoModelParams& prm) {
  IoPrediction r;
  const Problem& p = pt.problem;
  Ledger L(&r.terms);
  const bool fwd = pt.pass != Pass::bwd, bwd = pt.pass != Pass::fwd;

  if (family == "standard") {
    if (fwd) standard_forward(p, prm, L);
    if (bwd) standard_backward(p, /*pd_fresh=*/pt.pass == Pass::fwdbwd, L);
    r.modelled = true;
    finish(r, prm);
    return r;
  }

  if (family == "flash" || family == "block_sparse" || family == "cudnn") {
    FusedSetup s;
    s.concurrent_ctas = static_cast<double>(std::max(1, prm.sm_count) * std::max(1, prm.ctas_per_sm));
    if (family == "cudnn") {
      s.fwd = {128, 128};
      s.bwd = {64, 128};
      r.note = "cuDNN tiles assumed (128x128 forward, 64x128 backward)";
    } else {
      s.fwd = flash_fwd_tile(p.head_dim);
      s.bwd = flash_bwd_tile(p.head_dim);
    }
    const double eb = static_cast<double>(dtype_bytes(p.dtype));
    if (prm.tile_q > 0 || prm.tile_k > 0) {
      const Tile t{prm.tile_q > 0 ? prm.tile_q : s.fwd.q, prm.tile_k > 0 ? prm.tile_k : s.fwd.k};
      s.fwd = s.bwd = t;
    } else if (prm.sram_bytes > 0) {
      s.fwd = s.bwd = paper_tile(prm.sram_bytes, static_cast<double>(p.head_dim), eb);
    }
    std::optional<BlockMask> mask;
    if (family == "block_sparse" && !p.sparsity.is_dense()) {
      mask = ref::make_block_mask(p.sparsity, p.heads, p.seqlen_q, p.seqlen_kv, p.seed);
      s.mask = &*mask;
    }
    if (fwd) flash_forward(p, s, L);
    if (bwd) flash_backward(p, s, L);
    r.tile_q = fwd ? s.fwd.q : s.bwd.q;
    r.tile_k = fwd ? s.fwd.k : s.bwd.k;
    r.modelled = true;
    finish(r, prm);
    return r;
  }

  r.note = "no IO model for kernel family '" + std::string(family) + "'";
  return r;
}

double predicted_hbm_bytes(const Point& pt, std::string_view family, const IoModelParams& params) {
  const IoPrediction r = predict_io(pt, family, params);
  return r.modelled ? r.hbm_bytes : std::numeric_limits<double>::quiet_NaN();
}

IoDerived derive_io(const Row& row, const IoModelParams& prm) {
  IoDerived d;
  const double secs = row.time.median_ms * 1e-3;
  if (row.hbm_read_bytes && row.hbm_write_bytes) d.hbm_bytes = *row.hbm_read_bytes + *row.hbm_write_bytes;
  if (d.hbm_bytes && secs > 0) {
    d.achieved_hbm_gbps = *d.hbm_bytes / secs / 1e9;
    if (prm.peak_hbm_bytes_per_s > 0) d.pct_peak_bandwidth = 100.0 * (*d.hbm_bytes / secs) / prm.peak_hbm_bytes_per_s;
  }
  const std::optional<double> bytes = d.hbm_bytes ? d.hbm_bytes : row.io_model_bytes;
  if (bytes && *bytes > 0 && row.flops > 0) d.arithmetic_intensity = row.flops / *bytes;
  if (row.flops > 0 && secs > 0 && prm.peak_flops > 0) d.pct_peak_flops = 100.0 * (row.flops / secs) / prm.peak_flops;
  if (d.hbm_bytes && row.io_model_bytes && *row.io_model_bytes > 0) d.bytes_over_model = *d.hbm_bytes / *row.io_model_bytes;
  return d;
}

}  // namespace fa
