#include "measure/verify.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "measure/operands.hpp"
#include "measure/stream.hpp"
#include "measure/tracking_allocator.hpp"
#include "reference/attention.hpp"
#include "reference/masks.hpp"

namespace fa {

double tolerance_for(DType d, Pass pass) {
  // See docs/tolerances.md for how these were chosen: one output rounding of the dtype plus the
  // rounding of P (and dS in backward) before the second matmul, with headroom; a wrong index or a
  // missing tile gives errors of order 1e-1 .. 1.
  const bool bwd = pass != Pass::fwd;
  switch (d) {
    case DType::fp32: return bwd ? 1e-4 : 2e-5;
    case DType::fp16: return bwd ? 1e-2 : 5e-3;
    case DType::bf16: return bwd ? 4e-2 : 2e-2;
  }
  return 0;
}

namespace {

// ||a - b|| / ||b|| over the elements where the reference is finite; counts elements of `a` that
// are non-finite where the reference is finite (unwritten or broken), and mismatched infinities.
struct Compare {
  double rel = 0;
  std::int64_t bad = 0;
};

Compare compare(const std::vector<double>& out, const std::vector<double>& ref) {
  Compare c;
  double num = 0, den = 0;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    if (!std::isfinite(ref[i])) {
      if (out[i] != ref[i]) ++c.bad;  // e.g. lse of a fully masked row must be -inf too
      continue;
    }
    if (!std::isfinite(out[i])) {
      ++c.bad;
      continue;
    }
    num += (out[i] - ref[i]) * (out[i] - ref[i]);
    den += ref[i] * ref[i];
  }
  c.rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  return c;
}

// Rows [first, first + count) of head (0, 0) of a [B, H, N, D] (or [B, H, N], d = 1) array.
std::vector<double> head0_rows(const std::vector<double>& x, std::int64_t first, std::int64_t count, std::int64_t d) {
  return std::vector<double>(x.begin() + first * d, x.begin() + (first + count) * d);
}

}  // namespace

VerifyResult verify_point(AttentionKernel& kernel, const Point& pt, const VerifyOptions& opt) {
  const Problem& p = pt.problem;
  VerifyResult res;
  res.tolerance = tolerance_for(p.dtype, pt.pass);
  if (p.dropout > 0 && !kernel.shares_dropout_mask()) {
    res.ok = true;
    res.note = "skipped: kernel uses its own dropout RNG (check with dropout 0)";
    res.skipped = true;
    return res;
  }

  // Reference: the whole problem when it is small enough; else head (0, 0); else, for dense
  // problems without dropout, the last `sub_rows` query rows of head (0, 0). Those rows form an exact
  // smaller problem (bottom-right causal alignment keeps each row's visible keys), so O, lse and dQ of
  // those rows are checked exactly; dK and dV need every row and are not checked then.
  const double work = static_cast<double>(p.seqlen_q) * static_cast<double>(p.seqlen_kv) *
                      static_cast<double>(p.head_dim);
  const bool whole = work * static_cast<double>(p.batch * p.heads) <= opt.max_reference_work;
  std::int64_t rows = p.seqlen_q;  // query rows of head (0, 0) compared
  if (!whole && work > opt.max_reference_work) {
    const bool can_subsample = p.sparsity.is_dense() && p.dropout == 0.0;
    rows = std::min<std::int64_t>(p.seqlen_q, opt.sub_rows);
    if (!can_subsample || static_cast<double>(rows) * static_cast<double>(p.seqlen_kv) *
                                  static_cast<double>(p.head_dim) > opt.max_reference_work) {
      res.ok = true;
      res.note = "skipped: too large for the CPU reference (Nq*Nk*D > max_reference_work; row subsampling "
                 "needs a dense mask and no dropout)";
      res.skipped = true;
      return res;
    }
  }
  const bool subsample = rows < p.seqlen_q;
  const std::int64_t first_row = p.seqlen_q - rows;
  std::optional<BlockMask> mask;
  if (!p.sparsity.is_dense()) mask = ref::make_block_mask(p.sparsity, p.heads, p.seqlen_q, p.seqlen_kv, p.seed);
  const HostInputs in = make_host_inputs(p, pt.pass, opt.input_scale, opt.data_seed);

  // Run the kernel on these inputs with poisoned outputs.
  const bool cuda = kernel.backend() == Backend::cuda;
  HostTrackingAllocator host_alloc;
  DeviceTrackingAllocator dev_alloc;
  Allocator& alloc = cuda ? static_cast<Allocator&>(dev_alloc) : static_cast<Allocator&>(host_alloc);
  StreamHandle stream(cuda);
  OperandSet ops(p, pt.pass, kernel.backend(), alloc, mask ? &*mask : nullptr);
  ops.upload(in);
  ops.poison_outputs(stream.get());
  {
    ExecContext ctx{stream.get(), &alloc, opt.device};
    auto run = kernel.prepare(p, pt.pass, ops.ops(), ctx);
    run->run();
    stream.synchronize();
  }

  Problem rp = p;
  std::optional<BlockMask> rmask = mask;
  HostInputs rin = in;
  if (!whole) {
    rp.batch = rp.heads = 1;
    rp.seqlen_q = rows;
    rin.q = head0_rows(in.q, first_row, rows, p.head_dim);
    rin.k = head0_rows(in.k, 0, p.seqlen_kv, p.head_dim);
    rin.v = head0_rows(in.v, 0, p.seqlen_kv, p.head_dim);
    if (!in.dout.empty()) rin.dout = head0_rows(in.dout, first_row, rows, p.head_dim);
    if (rmask && rmask->heads > 1) {
      rmask->heads = 1;
      rmask->bits.resize(static_cast<std::size_t>(rmask->blocks_q * rmask->blocks_k));
    }
  }
  const ref::Config cfg = ref::config_for(rp, rmask ? &*rmask : nullptr);
  const std::int64_t nq = rp.batch * rp.heads * rp.seqlen_q * p.head_dim;
  const std::int64_t nk = rp.batch * rp.heads * p.seqlen_kv * p.head_dim;
  std::vector<double> o(static_cast<std::size_t>(nq)), lse(static_cast<std::size_t>(rp.batch * rp.heads * rp.seqlen_q));
  ref::forward(cfg, rin.q.data(), rin.k.data(), rin.v.data(), o.data(), lse.data());

  // The kernel's output restricted to what the reference computed.
  auto take = [&](Tensor t, std::int64_t first, std::int64_t n, std::int64_t d) {
    std::vector<double> x = ops.download(t);
    if (!whole) x = head0_rows(x, first, n, d);
    return x;
  };
  auto record = [&](const char* name, const std::vector<double>& out, const std::vector<double>& ref) {
    const Compare c = compare(out, ref);
    res.errors[name] = c.rel;
    res.unwritten += c.bad;
    res.max_rel_error = std::max(res.max_rel_error, c.rel);
  };
  record("o", take(Tensor::o, first_row, rows, p.head_dim), o);
  record("lse", take(Tensor::lse, first_row, rows, 1), lse);
  if (pt.pass != Pass::fwd) {
    std::vector<double> dq(static_cast<std::size_t>(nq)), dk(static_cast<std::size_t>(nk)), dv(static_cast<std::size_t>(nk));
    ref::backward(cfg, rin.q.data(), rin.k.data(), rin.v.data(), o.data(), lse.data(), rin.dout.data(), dq.data(),
                  dk.data(), dv.data());
    record("dq", take(Tensor::dq, first_row, rows, p.head_dim), dq);
    if (!subsample) {
      record("dk", take(Tensor::dk, 0, p.seqlen_kv, p.head_dim), dk);
      record("dv", take(Tensor::dv, 0, p.seqlen_kv, p.head_dim), dv);
    }
  }
  res.ok = res.unwritten == 0 && res.max_rel_error <= res.tolerance;
  char buf[256];
  std::string detail;
  for (const auto& [name, err] : res.errors) {
    std::snprintf(buf, sizeof buf, "%s%s=%.2e", detail.empty() ? "" : " ", name.c_str(), err);
    detail += buf;
  }
  if (res.ok) {
    const std::string scope = whole       ? "pass"
                              : subsample ? "pass (head 0,0, last " + std::to_string(rows) + " query rows; dk/dv not checked)"
                                          : "pass (head 0,0 only)";
    res.note = scope + ": " + detail;
  } else {
    std::snprintf(buf, sizeof buf, "FAIL (tol %.1e, %lld non-finite/unwritten): ", res.tolerance,
                  static_cast<long long>(res.unwritten));
    res.note = buf + detail;
  }
  return res;
}

}  // namespace fa
