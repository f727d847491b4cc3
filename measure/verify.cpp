#include "measure/verify.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "core/flops.hpp"
#include "measure/operands.hpp"
#include "measure/point_setup.hpp"
#include "measure/stream.hpp"
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
    case DType::fp8: return bwd ? 0.0 : 6e-2;  // against the dequantized inputs; no fp8 backward exists
  }
  return 0;
}

OutputError output_error(const std::vector<double>& out, const std::vector<double>& ref) {
  OutputError c;
  double num = 0, den = 0;
  std::int64_t counted = 0;
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
    ++counted;
  }
  if (den > 0) {
    c.rel = std::sqrt(num / den);
  } else if (counted > 0) {
    c.rel = std::sqrt(num / static_cast<double>(counted));
  }
  return c;
}

namespace {

// Rows [first, first + count) of head (0, 0) of a [B, H, N, D] (or [B, H, N], d = 1) array.
std::vector<double> head0_rows(const std::vector<double>& x, std::int64_t first, std::int64_t count, std::int64_t d) {
  return std::vector<double>(x.begin() + first * d, x.begin() + (first + count) * d);
}

// What the reference computes: the whole problem when it is small enough; else the query heads of
// batch 0 that read K/V head 0 (head (0, 0) alone without grouped K/V heads, or when the whole group
// is too much work: then dK and dV, sums over the group, are not checked); else, for dense problems
// without dropout, the last `sub_rows` query rows of head (0, 0). Those rows form an exact smaller
// problem (bottom-right causal alignment keeps each row's visible keys), so O, lse and dQ of those
// rows are checked exactly; dK and dV need every row and are not checked then.
struct ReferenceScope {
  bool whole = true;
  std::int64_t heads = 1;      // query heads of batch 0 compared (not whole): 1, or K/V head 0's group
  std::int64_t rows = 0;       // query rows of each of them compared
  std::int64_t first_row = 0;  // the first of them
  bool subsample() const { return first_row > 0; }
  bool checks_dkv = true;      // dK, dV compared (they need every query row of the group)
  std::string skipped;  // why nothing is compared, or empty
};

ReferenceScope reference_scope(const Problem& p, const VerifyOptions& opt) {
  ReferenceScope s;
  if (p.is_varlen()) {  // the whole batch or nothing: a sequence's rows are not a head's first rows
    s.rows = p.seqlen_q;
    if (dense_forward_flops(p) / 4.0 > opt.max_reference_work) {
      s.skipped = "skipped: too large for the CPU reference (sum of L^2 * H * D over the varlen batch > "
                  "max_reference_work)";
    }
    return s;
  }
  const double work = static_cast<double>(p.seqlen_q) * static_cast<double>(p.seqlen_kv) *
                      static_cast<double>(p.head_dim);
  s.whole = work * static_cast<double>(p.batch * p.heads) <= opt.max_reference_work;
  s.rows = p.seqlen_q;
  if (s.whole) return s;
  if (work * static_cast<double>(p.kv_group()) <= opt.max_reference_work) s.heads = p.kv_group();
  s.checks_dkv = s.heads == p.kv_group();
  if (work > opt.max_reference_work) {
    const bool can_subsample = p.sparsity.is_dense() && p.dropout == 0.0;
    s.rows = std::min<std::int64_t>(p.seqlen_q, opt.sub_rows);
    if (!can_subsample || static_cast<double>(s.rows) * static_cast<double>(p.seqlen_kv) *
                                  static_cast<double>(p.head_dim) > opt.max_reference_work) {
      s.skipped = "skipped: too large for the CPU reference (Nq*Nk*D > max_reference_work; row subsampling "
                  "needs a dense mask and no dropout)";
    }
  }
  s.first_row = p.seqlen_q - s.rows;
  s.checks_dkv = s.checks_dkv && !s.subsample();
  return s;
}

// The problem, mask and inputs the reference computes: the point's own, or the rows in scope.
struct ReferenceCase {
  Problem p;
  std::optional<BlockMask> mask;
  HostInputs in;
};

ReferenceCase reference_case(const Problem& p, const std::optional<BlockMask>& mask, const HostInputs& in,
                             const ReferenceScope& s) {
  ReferenceCase c{p, mask, in};
  if (s.whole) return c;
  c.p.batch = 1;
  c.p.heads = s.heads;  // query heads 0 .. s.heads-1 of batch 0 read K/V head 0, the first in the arrays
  c.p.kv_heads = stored_kv_heads(s.heads, 1);
  c.p.seqlen_q = s.rows;
  // Q-side arrays: with several heads, all their rows (first_row is 0 then).
  c.in.q = head0_rows(in.q, s.first_row, s.heads * s.rows, p.head_dim);
  c.in.k = head0_rows(in.k, 0, p.seqlen_kv, p.head_dim);
  c.in.v = head0_rows(in.v, 0, p.seqlen_kv, p.head_dim);
  if (!in.dout.empty()) c.in.dout = head0_rows(in.dout, s.first_row, s.heads * s.rows, p.head_dim);
  if (c.mask && c.mask->heads > 1) {
    c.mask->heads = s.heads;
    c.mask->bits.resize(static_cast<std::size_t>(s.heads * c.mask->blocks_q * c.mask->blocks_k));
  }
  return c;
}

// The kernel's outputs against the reference's on the scope, each output's error recorded in `res`.
void compare_outputs(const OperandSet& ops, const ReferenceCase& c, const Point& pt, const ReferenceScope& s,
                     VerifyResult& res) {
  const ref::Config cfg = ref::config_for(c.p, c.mask ? &*c.mask : nullptr);
  const std::int64_t d = pt.problem.head_dim, nk_rows = pt.problem.seqlen_kv;
  const std::int64_t nq = q_elements(c.p), nk = kv_elements(c.p);
  std::vector<double> o(static_cast<std::size_t>(nq)), lse(static_cast<std::size_t>(q_tokens(c.p) * c.p.heads));
  ref::forward(cfg, c.in.q.data(), c.in.k.data(), c.in.v.data(), o.data(), lse.data());
  // The kernel's output restricted to what the reference computed.
  auto take = [&](Tensor t, std::int64_t first, std::int64_t n, std::int64_t width) {
    std::vector<double> x = ops.download(t);
    if (!s.whole) x = head0_rows(x, first, n, width);
    return x;
  };
  auto record = [&](const char* name, const std::vector<double>& out, const std::vector<double>& ref) {
    const OutputError cmp = output_error(out, ref);
    res.errors[name] = cmp.rel;
    res.unwritten += cmp.bad;
    res.max_rel_error = std::max(res.max_rel_error, cmp.rel);
  };
  const std::int64_t q_rows = s.heads * s.rows;  // of the Q-side tensors, when not whole
  record("o", take(Tensor::o, s.first_row, q_rows, d), o);
  record("lse", take(Tensor::lse, s.first_row, q_rows, 1), lse);
  if (pt.pass == Pass::fwd) return;
  std::vector<double> dq(static_cast<std::size_t>(nq)), dk(static_cast<std::size_t>(nk)), dv(static_cast<std::size_t>(nk));
  ref::backward(cfg, c.in.q.data(), c.in.k.data(), c.in.v.data(), o.data(), lse.data(), c.in.dout.data(), dq.data(),
                dk.data(), dv.data());
  record("dq", take(Tensor::dq, s.first_row, q_rows, d), dq);
  if (s.checks_dkv) {
    record("dk", take(Tensor::dk, 0, nk_rows, d), dk);
    record("dv", take(Tensor::dv, 0, nk_rows, d), dv);
  }
}

// "pass: o=1.2e-03 lse=..." with the scope checked, or "FAIL (tol ..., N non-finite/unwritten): ...".
std::string result_note(const VerifyResult& res, const ReferenceScope& s) {
  char buf[256];
  std::string detail;
  for (const auto& [name, err] : res.errors) {
    std::snprintf(buf, sizeof buf, "%s%s=%.2e", detail.empty() ? "" : " ", name.c_str(), err);
    detail += buf;
  }
  if (res.ok) {
    const std::string heads = s.heads > 1 ? "heads 0-" + std::to_string(s.heads - 1) + " of batch 0" : "head 0,0";
    const std::string scope = s.whole         ? "pass"
                              : s.subsample() ? "pass (head 0,0, last " + std::to_string(s.rows) +
                                                    " query rows; dk/dv not checked)"
                              : s.checks_dkv  ? "pass (" + heads + " only)"
                                              : "pass (head 0,0 only; dk/dv, sums over its group, not checked)";
    return scope + ": " + detail;
  }
  std::snprintf(buf, sizeof buf, "FAIL (tol %.1e, %lld non-finite/unwritten): ", res.tolerance,
                static_cast<long long>(res.unwritten));
  return buf + detail;
}

VerifyResult skipped_result(double tolerance, std::string why) {
  VerifyResult res;
  res.tolerance = tolerance;
  res.ok = true;
  res.skipped = true;
  res.note = std::move(why);
  return res;
}

}  // namespace

VerifyResult verify_point(AttentionKernel& kernel, const Point& pt, const VerifyOptions& opt) {
  const Problem& p = pt.problem;
  const double tolerance = tolerance_for(p.dtype, pt.pass);
  if (p.dropout > 0 && !kernel.shares_dropout_mask()) {
    return skipped_result(tolerance, "skipped: kernel uses its own dropout RNG (check with dropout 0)");
  }
  const ReferenceScope scope = reference_scope(p, opt);
  if (!scope.skipped.empty()) return skipped_result(tolerance, scope.skipped);

  // The kernel on these inputs, with poisoned outputs.
  const std::optional<BlockMask> mask = ref::problem_block_mask(p);
  const HostInputs in = make_host_inputs(p, pt.pass, opt.input_scale, opt.data_seed);
  const bool cuda = kernel.backend() == Backend::cuda;
  StreamHandle stream(cuda);
  PointSetup setup(kernel, pt, mask ? &*mask : nullptr, PointInputs{opt.data_seed, &in},
                   PointPlace{stream.get(), opt.device});
  setup.prepare().run();
  stream.synchronize();

  VerifyResult res;
  res.tolerance = tolerance;
  compare_outputs(setup.operands(), reference_case(p, mask, in, scope), pt, scope, res);
  res.ok = res.unwritten == 0 && res.max_rel_error <= res.tolerance;
  res.note = result_note(res, scope);
  return res;
}

}  // namespace fa
