// The `standard` attention kernel: cuBLAS matmuls around materialised S and P (see
// standard_kernel.hpp). This file owns the buffer schedule and the cuBLAS handle.
//
// Forward (scale folded into the first GEMM's alpha, fp32 accumulation everywhere):
//   S  = scale * Q K^T                         -> S buffer
//   Pd = softmax(mask(S)) * keep / (1 - p)     -> P buffer, lse      (softmax_forward.cu)
//   O  = Pd V
// Backward. With Pd = P * m/(1-p) (m = keep mask) and O = Pd V:
//   dV  = Pd^T dO,   dPd = dO V^T,   dP = dPd * m/(1-p),
//   dS  = P * (dP - rowsum(P * dP)),  and rowsum(P * dP) = rowsum(Pd * dPd) = rowsum(dO * O) = delta
//   so dS = P * (dPd * m/(1-p) - delta);   dQ = scale * dS K,   dK = scale * dS^T Q.
// Grouped K/V heads (G = heads / kv_heads query heads per K/V head): in the bhnd layout the G query
// heads of a group are one [G*Nq, D] matrix, and so are their S and P rows, so every GEMM runs over
// B x kv_heads batches with the group stacked in its Nq dimension: S, O and dQ come out per query
// head as before, and dV = Pd^T dO, dK = scale dS^T Q sum over the group's query heads inside the
// GEMM's reduction. No K/V is copied and no extra memory is used (G = 1 is the plain batching).
// Only S and P (plus delta, [B,H,Nq] floats, and the cuBLAS workspace) are allocated, and run() must
// be re-runnable, so backward never destroys what its next call reads:
//   p == 0: P stays intact; dPd and then dS (in place) live in the S buffer.
//   p  > 0: dS needs P where elements were dropped, which Pd cannot give back, so S stays intact;
//           Pd is recomputed from S and lse into the P buffer (skipped right after a forward), then
//           dPd and dS (in place) live in the P buffer.
#include "kernels/standard/standard_kernel.hpp"

#include <cuda_runtime_api.h>

#include <climits>
#include <cstdint>
#include <string>

#include "core/cuda_check.hpp"
#include "core/philox.hpp"
#include "kernels/standard/batched_gemm.hpp"
#include "kernels/standard/cublas_check.hpp"
#include "kernels/standard/row_kernels.hpp"
#include "kernels/standard/standard_family.hpp"

namespace fa {
namespace {

using standard::batched_gemm;
using standard::DropoutSpec;
using standard::GemmShape;
using standard::GradMode;
using standard::MatRef;
using standard::RowGeometry;

// cuBLAS's documented default pool is 4 MiB before Hopper and 32 MiB on Hopper (for split-K and
// stream-K reductions). The attention GEMMs here are batched over B*H and have no use for split-K at
// the sizes we benchmark, so the smaller pool keeps the measured peak close to S + P.
constexpr std::size_t kCublasWorkspaceBytes = std::size_t{4} << 20;
constexpr std::int64_t kMaxHeadDim = 512;

std::int64_t score_elements(const Problem& p) {
  return p.batch * p.heads * p.seqlen_q * standard::padded_row_elements(p.dtype, p.seqlen_kv);
}

MatRef mat(const TensorRef& t) { return MatRef{t.data, t.stride_n, t.stride_b, t.stride_h}; }

// A query-side matrix (Q, O, dO, dQ, S, P) seen per K/V head: its group's `group` query heads stacked
// into one matrix of group x Nq rows. Needs consecutive heads to follow each other row for row
// (stride_h = Nq rows), which group_stackable() checks.
MatRef stacked(MatRef m, std::int64_t group) {
  m.stride_h *= group;
  return m;
}

bool group_stackable(const TensorRef& t, std::int64_t seqlen_q) {
  return t.data == nullptr || t.stride_h == seqlen_q * t.stride_n;
}

class StandardRun final : public PreparedRun {
 public:
  StandardRun(cublasHandle_t handle, const Problem& p, Pass pass, const Operands& ops, const ExecContext& ctx)
      : handle_(handle), p_(p), pass_(pass), ops_(ops), stream_(static_cast<cudaStream_t>(ctx.stream)) {
    const std::int64_t ld = standard::padded_row_elements(p.dtype, p.seqlen_kv);
    const std::size_t score_bytes = static_cast<std::size_t>(score_elements(p)) * dtype_bytes(p.dtype);
    s_ = Buffer(*ctx.scratch, score_bytes, "standard: S (scores)");
    p_buf_ = Buffer(*ctx.scratch, score_bytes, "standard: P (probabilities)");
    if (pass != Pass::fwd)
      delta_ = Buffer(*ctx.scratch, static_cast<std::size_t>(p.batch * p.heads * p.seqlen_q) * sizeof(float),
                      "standard: delta = rowsum(dO*O)");
    workspace_ = Buffer(*ctx.scratch, kCublasWorkspaceBytes, "standard: cuBLAS workspace");

    geom_.rows = p.batch * p.heads * p.seqlen_q;
    geom_.seqlen_q = static_cast<std::int32_t>(p.seqlen_q);
    geom_.seqlen_kv = static_cast<std::int32_t>(p.seqlen_kv);
    geom_.ld = static_cast<std::int32_t>(ld);
    geom_.heads = static_cast<std::int32_t>(p.heads);
    geom_.causal = p.causal;
    // The dropout path (and its extra passes, which measure/io_model.cpp predicts) runs for any
    // p > 0, even one that rounds to t8 = 0 and keeps every element.
    const double p_used = dropout_p_used(p.dropout);  // the probability the 8-bit mask applies
    drop_.enabled = p.dropout > 0.0;
    drop_.threshold = dropout_threshold8(p.dropout);
    drop_.keep_scale = static_cast<float>(1.0 / (1.0 - p_used));
    drop_.seed = p.seed;
    group_ = p.kv_group();
    for (const TensorRef* t : {&ops.q, &ops.o, &ops.dout, &ops.dq}) {
      if (group_ > 1 && !group_stackable(*t, p.seqlen_q))
        throw std::invalid_argument("standard: grouped K/V heads need query-side heads stored one after another");
    }
    s_ref_ = stacked(MatRef{s_.get(), ld, p.heads * p.seqlen_q * ld, p.seqlen_q * ld}, group_);
    p_ref_ = stacked(MatRef{p_buf_.get(), ld, p.heads * p.seqlen_q * ld, p.seqlen_q * ld}, group_);

    if (pass == Pass::bwd) {  // backward-only timing: its inputs (O, lse, S, Pd) come from here, untimed
      bind();
      forward();
      FA_CUDA_CHECK(cudaStreamSynchronize(stream_));
    }
  }

  void run() override {
    bind();
    if (pass_ != Pass::bwd) forward();
    if (pass_ != Pass::fwd) backward(/*pd_fresh=*/pass_ == Pass::fwdbwd);
  }

 private:
  // The handle is shared by every run of the kernel object: point it at this run's stream and
  // workspace each time (cublasSetStream also resets the workspace, hence the order).
  void bind() {
    FA_CUBLAS_CHECK(cublasSetStream(handle_, stream_));
    FA_CUBLAS_CHECK(cublasSetWorkspace(handle_, workspace_.get(), workspace_.bytes()));
  }

  // Batched over B x K/V heads; query-side operands stacked per group (the top of the file).
  void gemm(const GemmShape& shape, float alpha, const MatRef& a, const MatRef& b, const MatRef& c) {
    batched_gemm(handle_, p_.dtype, shape, alpha, a, b, c, p_.batch, p_.num_kv_heads());
  }
  MatRef q_side(const TensorRef& t) const { return stacked(mat(t), group_); }

  void forward() {
    const std::int64_t nq = p_.seqlen_q * group_, nk = p_.seqlen_kv, d = p_.head_dim;  // a group's rows
    const float scale = static_cast<float>(p_.scale());
    gemm({nq, nk, d, false, true}, scale, q_side(ops_.q), mat(ops_.k), s_ref_);  // S = scale Q K^T
    standard::softmax_forward(p_.dtype, s_.get(), p_buf_.get(), static_cast<float*>(ops_.lse), geom_, drop_,
                              stream_);
    gemm({nq, d, nk, false, false}, 1.0f, p_ref_, mat(ops_.v), q_side(ops_.o));  // O = Pd V
  }

  // pd_fresh: the P buffer still holds this forward's Pd (fwdbwd), so it need not be recomputed.
  void backward(bool pd_fresh) {
    const std::int64_t nq = p_.seqlen_q * group_, nk = p_.seqlen_kv, d = p_.head_dim;  // a group's rows
    const float scale = static_cast<float>(p_.scale());
    const auto* lse = static_cast<const float*>(ops_.lse);
    auto* delta = delta_.as<float>();

    standard::RowDotArgs rd;
    rd.o = ops_.o.data;
    rd.dout = ops_.dout.data;
    rd.o_stride_b = ops_.o.stride_b, rd.o_stride_h = ops_.o.stride_h, rd.o_stride_n = ops_.o.stride_n;
    rd.do_stride_b = ops_.dout.stride_b, rd.do_stride_h = ops_.dout.stride_h, rd.do_stride_n = ops_.dout.stride_n;
    rd.head_dim = static_cast<std::int32_t>(d);
    standard::row_dot(p_.dtype, rd, delta, geom_, stream_);

    if (drop_.enabled && !pd_fresh)
      standard::softmax_backward(p_.dtype, GradMode::dropped_probs, s_.get(), nullptr, p_buf_.get(), lse, nullptr,
                                 geom_, drop_, stream_);
    gemm({nk, d, nq, true, false}, 1.0f, p_ref_, q_side(ops_.dout), mat(ops_.dv));  // dV = Pd^T dO

    // The buffer that receives dPd and then dS (see the schedule at the top of the file).
    const MatRef& grad = drop_.enabled ? p_ref_ : s_ref_;
    gemm({nq, nk, d, false, true}, 1.0f, q_side(ops_.dout), mat(ops_.v), grad);  // dPd = dO V^T
    if (drop_.enabled) {
      standard::softmax_backward(p_.dtype, GradMode::grad_from_scores, s_.get(), p_buf_.get(), p_buf_.get(), lse,
                                 delta, geom_, drop_, stream_);
    } else {
      standard::softmax_backward(p_.dtype, GradMode::grad_from_probs, p_buf_.get(), s_.get(), s_.get(), lse, delta,
                                 geom_, drop_, stream_);
    }
    gemm({nq, d, nk, false, false}, scale, grad, mat(ops_.k), q_side(ops_.dq));  // dQ = scale dS K
    gemm({nk, d, nq, true, false}, scale, grad, q_side(ops_.q), mat(ops_.dk));   // dK = scale dS^T Q (group sum)
  }

  cublasHandle_t handle_;
  Problem p_;
  Pass pass_;
  Operands ops_;
  cudaStream_t stream_;
  Buffer s_, p_buf_, delta_, workspace_;
  MatRef s_ref_, p_ref_;  // stacked per group
  std::int64_t group_ = 1;  // query heads per K/V head
  RowGeometry geom_;
  DropoutSpec drop_;
};

class StandardKernel final : public AttentionKernel {
 public:
  ~StandardKernel() override {
    if (handle_) cublasDestroy(handle_);  // no throw from a destructor; a failure here is harmless
  }

  std::string_view name() const override { return standard_family().name; }
  std::string_view summary() const override { return standard_family().summary; }
  Backend backend() const override { return Backend::cuda; }

  Support supports(const Problem& p, Pass pass) const override {
    (void)pass;
    if (!p.sparsity.is_dense()) return Support::no("standard attention is dense only (no block mask)");
    // A varlen batch would need every sequence padded to the longest in scratch (S and P of B x Lmax^2)
    // and the padded keys masked: not implemented, the batched GEMMs take one length.
    if (const Support s = refuse_varlen(name(), p); !s.ok) return s;
    if (p.grouped_kv() && p.layout != Layout::bhnd)
      return Support::no("standard: grouped K/V heads need the bhnd layout (a group's query heads are stacked into "
                         "one GEMM)");
    if (!p.kv_heads_divide()) return Support::no("standard: K/V heads must divide the query heads");
    if (p.head_dim < 1 || p.head_dim > kMaxHeadDim)
      return Support::no("head_dim must be in [1, " + std::to_string(kMaxHeadDim) + "]");
    if (p.batch < 1 || p.heads < 1 || p.seqlen_q < 1 || p.seqlen_kv < 1)
      return Support::no("batch, heads, seqlen_q and seqlen_kv must be >= 1");
    if (!(p.dropout >= 0.0 && p.dropout < 1.0)) return Support::no("dropout must be in [0, 1)");
    // cuBLAS takes m, n, k, ld and the batch count as 32-bit ints; the row kernels index columns
    // with 32-bit ints and launch one block per 1..4 rows (grid x < 2^31).
    const std::int64_t ld = standard::padded_row_elements(p.dtype, p.seqlen_kv);
    if (p.seqlen_q > INT_MAX || ld > INT_MAX)
      return Support::no("seqlen above 2^31-1 (cuBLAS dimensions are 32-bit)");
    if (p.batch * p.heads > INT_MAX) return Support::no("batch*heads above 2^31-1 (cuBLAS batch count is 32-bit)");
    if (p.batch * p.heads * p.seqlen_q > INT_MAX)
      return Support::no("batch*heads*seqlen_q above 2^31-1 rows (softmax grid is one block per row)");
    if (p.layout == Layout::bnhd && p.heads * p.head_dim > INT_MAX)
      return Support::no("heads*head_dim above 2^31-1 (the bnhd row stride is a 32-bit cuBLAS leading dimension)");
    return Support::yes();
  }

  std::size_t workspace_bytes(const Problem& p, Pass pass) const override {
    std::size_t bytes = 2 * static_cast<std::size_t>(score_elements(p)) * dtype_bytes(p.dtype);  // S + P
    if (pass != Pass::fwd) bytes += static_cast<std::size_t>(p.batch * p.heads * p.seqlen_q) * sizeof(float);
    return bytes + kCublasWorkspaceBytes;
  }

  std::unique_ptr<PreparedRun> prepare(const Problem& p, Pass pass, const Operands& ops,
                                       const ExecContext& ctx) override {
    const Support s = supports(p, pass);
    if (!s.ok) throw std::invalid_argument("standard: unsupported point: " + s.reason);
    FA_CUDA_CHECK(cudaSetDevice(ctx.device));
    if (!handle_) {
      FA_CUBLAS_CHECK(cublasCreate(&handle_));
      handle_device_ = ctx.device;
      // Full fp32 FMA (never TF32) for fp32 points, and reductions kept in the fp32 compute type
      // for fp16/bf16 outputs, so accuracy does not depend on which algorithm cuBLAS picks.
      FA_CUBLAS_CHECK(cublasSetMathMode(handle_, static_cast<cublasMath_t>(
                                                     CUBLAS_DEFAULT_MATH |
                                                     CUBLAS_MATH_DISALLOW_REDUCED_PRECISION_REDUCTION)));
    } else if (handle_device_ != ctx.device) {
      throw std::invalid_argument("standard: kernel object created on device " + std::to_string(handle_device_) +
                                  ", asked to run on device " + std::to_string(ctx.device));
    }
    return std::make_unique<StandardRun>(handle_, p, pass, ops, ctx);
  }

 private:
  cublasHandle_t handle_ = nullptr;
  int handle_device_ = 0;
};

}  // namespace

std::unique_ptr<AttentionKernel> make_standard_kernel() { return std::make_unique<StandardKernel>(); }

FamilyBuild standard_build() { return {.factory = &make_standard_kernel}; }

}  // namespace fa
