// The standard family's terms (standard_io.hpp); docs/io-model.md derives each one.
#include "kernels/standard/standard_io.hpp"

#include <cmath>
#include <cstdint>
#include <string>

#include "core/flops.hpp"

namespace fa::standard {
namespace {

constexpr double kLseBytes = 4.0;  // lse and delta are fp32 per query row

// Rows longer than this (elements) no longer fit in registers in the softmax, which then reads S
// twice (softmax_forward.cu: 256 threads x 64 floats).
constexpr std::int64_t kSoftmaxResidentMaxRow = 256 * 64;

// Sizes every launch of a pass is written in.
struct Sizes {
  double q = 0, kv = 0;            // Q (O, dO, dQ) and K (V, dK, dV)
  double scores = 0;               // what a GEMM reads or writes of S / P
  double rows_written = 0;         // what an element-wise kernel writes (padding too)
  double vis = 1;                  // element-wise kernels read visible columns only
  double row_floats = 0;           // lse, delta
  double row_bytes = 0;            // one padded score row
};

Sizes sizes_of(const Problem& p) {
  Sizes z;
  const double eb = static_cast<double>(dtype_bytes(p.dtype));
  const double bh = static_cast<double>(p.batch * p.heads);
  const double nq = static_cast<double>(p.seqlen_q), nk = static_cast<double>(p.seqlen_kv);
  const double per16 = 16.0 / eb;
  const double ld = std::ceil(nk / per16) * per16;  // padded score row (16-byte aligned rows)
  z.q = static_cast<double>(q_elements(p)) * eb;
  z.kv = static_cast<double>(kv_elements(p)) * eb;
  z.scores = bh * nq * nk * eb;
  z.rows_written = bh * nq * ld * eb;
  z.vis = visible_fraction(p, 1.0);
  z.row_floats = bh * nq * kLseBytes;
  z.row_bytes = ld * eb;
  return z;
}

void forward(const Problem& p, const IoContext& ctx, IoLedger& L) {
  const Sizes z = sizes_of(p);
  L.launch("gemm S = scale Q K^T");
  L.read("Q", z.q);
  L.read("K", z.kv);
  L.write("S_buf", z.scores);
  L.launch("softmax (+mask, dropout)");
  if (p.seqlen_kv > kSoftmaxResidentMaxRow) {  // two sweeps over each row, the second mostly from L2
    L.reread("S_buf", false, z.scores * z.vis, 2 * z.scores * z.vis,
             8.0 * ctx.sm_count * z.row_bytes);  // a few rows in flight per SM
  } else {
    L.read("S_buf", z.scores * z.vis);
  }
  L.write("P_buf", z.rows_written);
  L.write("lse", z.row_floats);
  L.launch("gemm O = P V");
  L.read("P_buf", z.scores);
  L.read("V", z.kv);
  L.write("O", z.q);
}

// pd_fresh: the P buffer still holds this pass's dropped probabilities (fwdbwd).
void backward(const Problem& p, bool pd_fresh, IoLedger& L) {
  const Sizes z = sizes_of(p);
  const bool dropout = p.dropout > 0.0;
  // dPd and then dS live in the S buffer without dropout, in the P buffer with it.
  const std::string grad = dropout ? "P_buf" : "S_buf";

  L.launch("row_dot delta = rowsum(dO O)");
  L.read("O", z.q);
  L.read("dO", z.q);
  L.write("delta", z.row_floats);
  if (dropout && !pd_fresh) {
    L.launch("recompute Pd from S, lse");
    L.read("S_buf", z.scores * z.vis);
    L.read("lse", z.row_floats);
    L.write("P_buf", z.rows_written);
  }
  L.launch("gemm dV = Pd^T dO");
  L.read("P_buf", z.scores);
  L.read("dO", z.q);
  L.write("dV", z.kv);
  L.launch("gemm dPd = dO V^T");
  L.read("dO", z.q);
  L.read("V", z.kv);
  L.write(grad, z.scores);
  L.launch("softmax backward dS");
  if (dropout) {
    L.read("S_buf", z.scores * z.vis);
    L.read("lse", z.row_floats);
  } else {
    L.read("P_buf", z.scores * z.vis);
  }
  L.read(grad, z.scores * z.vis);
  L.read("delta", z.row_floats);
  L.write(grad, z.rows_written);
  L.launch("gemm dQ = scale dS K");
  L.read(grad, z.scores);
  L.read("K", z.kv);
  L.write("dQ", z.q);
  L.launch("gemm dK = scale dS^T Q");
  L.read(grad, z.scores);
  L.read("Q", z.q);
  L.write("dK", z.kv);
}

}  // namespace

IoListing standard_io(const Point& pt, const IoContext& ctx, IoLedger& ledger) {
  if (pt.pass != Pass::bwd) forward(pt.problem, ctx, ledger);
  if (pt.pass != Pass::fwd) backward(pt.problem, /*pd_fresh=*/pt.pass == Pass::fwdbwd, ledger);
  IoListing r;
  r.modelled = true;
  return r;
}

}  // namespace fa::standard
