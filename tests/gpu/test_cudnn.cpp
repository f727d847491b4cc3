// The cudnn family (cuDNN's fused flash SDPA through the frontend) through the kernel interface:
//  - forward (O, lse) and backward (dQ, dK, dV) against the float64 reference (measure/verify.hpp:
//    fresh random inputs, NaN-poisoned outputs, relative L2 error within the dtype's tolerance);
//  - our bottom-right causal alignment for Nq < Nk (cuDNN's bottom-right option) and Nq > Nk (the
//    rows that see no key are not given to cuDNN and written here: O = 0, lse = -inf, dQ = 0);
//  - dropout, which uses cuDNN's own RNG: verification reports those rows as skipped, so the tests
//    here check what can be checked without the mask: the 1/(1-p) scaling, and that backward uses
//    the forward's mask;
//  - support reasons, re-runnable runs, plan caching and scratch accounting.
#include <catch2/catch.hpp>

#include "kernels/families_built.hpp"

#if FA_FAMILY_CUDNN  // the family is built (cmake/FaKernelFamily.cmake)

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/kernel.hpp"
#include "kernels/cudnn/cudnn_kernel.hpp"
#include "measure/operands.hpp"
#include "measure/stream.hpp"
#include "measure/tracking_allocator.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace {

using fa::DType;
using fa::Layout;
using fa::Pass;
using fa::testing::DirectRun;
using fa::testing::require_kernel;
using fa::testing::Shape;

fa::testing::SeedSequence data_seeds{31000};

fa::Point cudnn_point(Pass pass, DType dt, Shape s, bool causal, double dropout = 0.0, Layout layout = Layout::bhnd) {
  return fa::testing::attention_point("cudnn", pass, dt, s, causal, dropout, layout,
                                      fa::testing::shape_seed(0xcd00ULL, s));
}

void check_point(fa::AttentionKernel& k, const fa::Point& pt, double input_scale = 1.0) {
  fa::testing::check_labelled_point(k, pt, data_seeds.next(), input_scale);
}

fa::Problem problem(std::int64_t b, std::int64_t h, std::int64_t nq, std::int64_t nk, std::int64_t d, DType dt,
                    bool causal, double dropout) {
  fa::Problem p;
  p.batch = b, p.heads = h, p.seqlen_q = nq, p.seqlen_kv = nk, p.head_dim = d;
  p.dtype = dt, p.causal = causal, p.dropout = dropout;
  return p;
}

bool all_finite(const std::vector<double>& x) {
  for (double v : x)
    if (!std::isfinite(v)) return false;
  return true;
}

}  // namespace

TEST_CASE("cudnn: fwd and bwd, fp16/bf16 x D 64/128 x causal", "[gpu][cudnn]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("cudnn");
  for (DType dt : {DType::fp16, DType::bf16})
    for (std::int64_t d : {64, 128})
      for (bool causal : {false, true})
        for (Pass pass : {Pass::fwd, Pass::bwd}) {
          Shape s;  // Nq 173 < Nk 255: bottom-right causal through cuDNN's own alignment
          s.d = d;
          check_point(*k, cudnn_point(pass, dt, s, causal));
          std::swap(s.nq, s.nk);  // Nq > Nk: 82 rows per head see no key
          check_point(*k, cudnn_point(pass, dt, s, causal));
        }
}

TEST_CASE("cudnn: sequence lengths 17, 255, 1000 (all pairs), fwd and bwd", "[gpu][cudnn]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("cudnn");
  int i = 0;
  for (std::int64_t nq : {17, 255, 1000})
    for (std::int64_t nk : {17, 255, 1000})
      for (bool causal : {false, true}) {
        // Alternate dtype and head dim so the pairs also spread over cuDNN's instances.
        Shape s;
        s.h = 1, s.nq = nq, s.nk = nk;
        s.d = (i % 3 == 0) ? 128 : 64;
        const DType dt = (i % 2 == 0) ? DType::fp16 : DType::bf16;
        check_point(*k, cudnn_point(Pass::fwd, dt, s, causal));
        check_point(*k, cudnn_point(Pass::bwd, dt, s, causal));
        ++i;
      }
}

TEST_CASE("cudnn: fwdbwd pass, bnhd layout, large logits", "[gpu][cudnn]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("cudnn");
  Shape s;
  s.b = 2, s.h = 3, s.nq = 200, s.nk = 130, s.d = 64;
  for (bool causal : {false, true}) {
    check_point(*k, cudnn_point(Pass::fwdbwd, DType::bf16, s, causal));
    check_point(*k, cudnn_point(Pass::fwd, DType::fp16, s, causal, 0.0, Layout::bnhd));
    check_point(*k, cudnn_point(Pass::bwd, DType::bf16, s, causal, 0.0, Layout::bnhd));
  }
  Shape big;
  big.nq = 300, big.nk = 300, big.d = 128;
  for (bool causal : {false, true}) {
    check_point(*k, cudnn_point(Pass::fwd, DType::bf16, big, causal), 8.0);
    check_point(*k, cudnn_point(Pass::bwd, DType::fp16, big, causal), 8.0);
  }
}

TEST_CASE("cudnn: other head dims verify where cuDNN takes them, else say cuDNN's reason", "[gpu][cudnn]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("cudnn");
  for (std::int64_t d : {32, 96, 256})
    for (Pass pass : {Pass::fwd, Pass::bwd}) {
      Shape s;
      s.d = d;
      const fa::Point pt = cudnn_point(pass, DType::bf16, s, true);
      const fa::Support sup = k->supports(pt.problem, pass);
      if (sup.ok) {
        check_point(*k, pt);
      } else {
        // Only cuDNN's own graph checks can refuse these (the static limits admit them).
        INFO(fa::point_label(pt) << ": " << sup.reason);
        CHECK(sup.reason.rfind("cudnn: ", 0) == 0);
        WARN(fa::point_label(pt) << " unsupported: " << sup.reason);
      }
    }
}

TEST_CASE("cudnn: unsupported points say why", "[gpu][cudnn]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("cudnn");
  fa::Problem p = problem(1, 2, 128, 256, 64, DType::fp32, false, 0.0);
  CHECK(k->supports(p, Pass::fwd).reason == "cudnn: fused SDPA takes fp16/bf16/fp8 (no fp32 path)");
  p.dtype = DType::bf16;
  p.head_dim = 60;
  CHECK(k->supports(p, Pass::fwd).reason == "cudnn: head_dim must be a multiple of 8");
  p.head_dim = 64;
  p.sparsity.pattern = "local";
  CHECK(k->supports(p, Pass::fwd).reason == "cudnn: dense attention only (no block mask)");
  p.sparsity = fa::Sparsity{};
  CHECK(k->supports(p, Pass::fwd).ok);
  // cuDNN itself refuses bottom-right causal alignment with dropout; its words reach the row.
  p.causal = true;
  p.dropout = 0.1;
  const fa::Support s = k->supports(p, Pass::fwd);
  INFO(s.reason);
  CHECK_FALSE(s.ok);
  CHECK(s.reason.rfind("cudnn: ", 0) == 0);
  CHECK_THAT(s.reason, Catch::Contains("dropout"));
}

TEST_CASE("cudnn: dropout rows are reported skipped by verification, never passed", "[gpu][cudnn]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("cudnn");
  CHECK_FALSE(k->shares_dropout_mask());
  Shape s;
  s.nq = s.nk = 256;
  for (Pass pass : {Pass::fwd, Pass::bwd}) {
    const fa::Point pt = cudnn_point(pass, DType::fp16, s, true, 0.17);
    REQUIRE(k->supports(pt.problem, pass).ok);  // square causal: top-left alignment, dropout allowed
    const fa::VerifyResult r = fa::testing::verify_with_seed(*k, pt, data_seeds.next());
    CHECK(r.skipped);
    CHECK(r.errors.empty());
    CHECK_THAT(r.note, Catch::Contains("own dropout RNG"));
  }
}

TEST_CASE("cudnn: dropout keeps 1/(1-p)-scaled mass (V = 1 gives rows of mean 1 and spread)", "[gpu][cudnn]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("cudnn");
  // With V all ones, every element of O row i is sum_j P_ij m_ij / (1 - p): mean 1 over rows when
  // the keep mask m has rate 1 - p and the rescale is right; spread about 0.026 here (Nk 1024, unit
  // logits: sqrt(p/(1-p) * sum_j P_ij^2)), while without dropout the rows are 1 up to fp16 rounding.
  // Not causal: cuDNN refuses dropout with the bottom-right alignment Nq < Nk needs, and a square
  // causal problem has rows of very few keys whose spread would dominate the mean.
  const double dropout = 0.2;
  {
    const fa::Problem p = problem(1, 4, 256, 1024, 64, DType::fp16, false, dropout);
    fa::HostInputs in = fa::make_host_inputs(p, Pass::fwd, 1.0, data_seeds.next());
    std::fill(in.v.begin(), in.v.end(), 1.0);
    DirectRun r(p, Pass::fwd, in);
    r.run(*k);
    const std::vector<double> o = r.ops.download(fa::Tensor::o);
    REQUIRE(all_finite(o));
    const std::int64_t rows = p.batch * p.heads * p.seqlen_q, d = p.head_dim;
    double sum = 0, sum2 = 0, worst_within_row = 0;
    for (std::int64_t i = 0; i < rows; ++i) {
      const double x = o[static_cast<std::size_t>(i * d)];
      for (std::int64_t c = 1; c < d; ++c)
        worst_within_row = std::max(worst_within_row, std::fabs(o[static_cast<std::size_t>(i * d + c)] - x));
      sum += x;
      sum2 += x * x;
    }
    const double mean = sum / static_cast<double>(rows);
    const double spread = std::sqrt(std::max(0.0, sum2 / static_cast<double>(rows) - mean * mean));
    INFO("mean " << mean << " spread " << spread << " worst within-row difference " << worst_within_row);
    CHECK(std::fabs(mean - 1.0) < 0.01);   // missing 1/(1-p): 0.8; mask rate off by 0.01: 1.0125
    CHECK(spread > 0.01);                   // dropout applied (no dropout: < 1e-3)
    CHECK(spread < 0.08);                   // and not garbage
    CHECK(worst_within_row < 2e-3);         // one mask per score, shared by all D columns of V
  }
}

TEST_CASE("cudnn: backward uses the forward's dropout mask (<O, dO> = <V, dV>)", "[gpu][cudnn]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("cudnn");
  // O = Pd V and dV = Pd^T dO with the same dropped probabilities Pd give, per head,
  // sum(O * dO) = trace(dO^T Pd V) = sum(V * dV) exactly. A backward with another mask misses by
  // about sqrt(2p/(1-p) * D) ~ 6 here, against rounding of ~0.1.
  for (bool causal : {false, true}) {
    const fa::Problem p = problem(1, 2, 384, 384, 64, DType::fp16, causal, 0.2);
    REQUIRE(k->supports(p, Pass::fwdbwd).ok);
    const fa::HostInputs in = fa::make_host_inputs(p, Pass::fwdbwd, 1.0, data_seeds.next());
    DirectRun r(p, Pass::fwdbwd, in);
    r.run(*k);
    const std::vector<double> o = r.ops.download(fa::Tensor::o), dv = r.ops.download(fa::Tensor::dv);
    REQUIRE(all_finite(o));
    REQUIRE(all_finite(dv));
    const std::size_t per_head = static_cast<std::size_t>(p.seqlen_q * p.head_dim);  // Nq = Nk here
    for (std::int64_t h = 0; h < p.heads; ++h) {
      double a = 0, b = 0, a2 = 0, b2 = 0;
      for (std::size_t i = static_cast<std::size_t>(h) * per_head; i < static_cast<std::size_t>(h + 1) * per_head; ++i) {
        a += o[i] * in.dout[i];
        b += in.v[i] * dv[i];
        a2 += o[i] * in.dout[i] * o[i] * in.dout[i];
        b2 += in.v[i] * dv[i] * in.v[i] * dv[i];
      }
      // fp16 output rounding (2^-11 relative per element, random signs), ten times over.
      const double tol = 10.0 * std::ldexp(1.0, -11) * (std::sqrt(a2) + std::sqrt(b2));
      INFO("causal " << causal << " head " << h << ": <O,dO> " << a << " <V,dV> " << b << " tol " << tol);
      CHECK(std::fabs(a - b) <= tol);
    }
  }
}

TEST_CASE("cudnn: run() is re-runnable (forward bit-identical, backward within rounding)", "[gpu][cudnn]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("cudnn");
  for (bool causal : {false, true}) {
    const fa::Problem p = problem(2, 3, 300, 200, 128, DType::bf16, causal, 0.0);  // causal: rows skipped
    const fa::HostInputs in = fa::make_host_inputs(p, Pass::fwdbwd, 1.0, data_seeds.next());
    DirectRun once(p, Pass::fwdbwd, in), thrice(p, Pass::fwdbwd, in);
    once.run(*k, 1);
    thrice.run(*k, 3);
    INFO("causal " << causal);
    CHECK(once.ops.download(fa::Tensor::o) == thrice.ops.download(fa::Tensor::o));
    CHECK(once.ops.download(fa::Tensor::lse) == thrice.ops.download(fa::Tensor::lse));
    // cuDNN's backward accumulates dQ with atomics: the order, hence the last bits, may differ.
    for (fa::Tensor t : {fa::Tensor::dq, fa::Tensor::dk, fa::Tensor::dv}) {
      const std::vector<double> x = once.ops.download(t), y = thrice.ops.download(t);
      REQUIRE(all_finite(y));
      double num = 0, den = 0;
      for (std::size_t i = 0; i < x.size(); ++i) num += (x[i] - y[i]) * (x[i] - y[i]), den += x[i] * x[i];
      INFO(fa::to_string(t));
      CHECK(std::sqrt(num / den) < 1e-2);
    }
  }
}

TEST_CASE("cudnn: graphs are built once per geometry and pass kind, then cached", "[gpu][cudnn]") {
  FA_REQUIRE_GPU();
  fa::cudnn::CudnnKernel k;
  const fa::Problem p = problem(1, 2, 256, 256, 64, DType::bf16, true, 0.0);
  REQUIRE(k.supports(p, Pass::fwd).ok);
  CHECK(k.graphs_built() == 1);
  REQUIRE(k.supports(p, Pass::fwdbwd).ok);  // adds the backward graph only
  CHECK(k.graphs_built() == 2);
  const fa::HostInputs in = fa::make_host_inputs(p, Pass::fwdbwd, 1.0, data_seeds.next());
  for (Pass pass : {Pass::fwd, Pass::bwd, Pass::fwdbwd}) {
    DirectRun r(p, pass, in);
    r.run(k);
  }
  CHECK(k.graphs_built() == 2);  // prepare() reused both
  fa::Problem other = p;
  other.dtype = DType::fp16;
  REQUIRE(k.supports(other, Pass::bwd).ok);
  CHECK(k.graphs_built() == 4);
  other.layout = Layout::bnhd;  // other strides: another graph
  REQUIRE(k.supports(other, Pass::fwd).ok);
  CHECK(k.graphs_built() == 5);
}

TEST_CASE("cudnn: scratch holds the workspace cuDNN asked for, as workspace_bytes() says", "[gpu][cudnn]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("cudnn");
  for (bool causal : {false, true}) {
    // causal, Nq > Nk: also the scratch stats of the rows cuDNN sees
    const fa::Problem p = problem(2, 8, 2048, causal ? 1024 : 2048, 128, DType::bf16, causal, 0.0);
    for (Pass pass : {Pass::fwd, Pass::fwdbwd}) {
      REQUIRE(k->supports(p, pass).ok);
      const std::size_t expected = k->workspace_bytes(p, pass);
      const fa::testing::PassTiming t = fa::testing::time_kernel_pass(*k, p, pass);
      INFO("causal " << causal << " " << fa::to_string(pass) << ": " << t.ms << " ms, scratch peak "
                     << t.scratch_peak_bytes << " B, workspace_bytes " << expected);
      CHECK(t.scratch_peak_bytes == expected);
      if (pass != Pass::fwd) CHECK(expected > 0);  // the backward's dQ accumulator at least
      CHECK(t.ms > 0);
    }
  }
}

// One small point of each kind for compute-sanitizer (memcheck); hidden from normal runs.
TEST_CASE("cudnn: sanitizer points", "[.cudnn_sanitize]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("cudnn");
  Shape s;
  s.nq = 200, s.nk = 130, s.d = 64;
  check_point(*k, cudnn_point(Pass::fwdbwd, DType::fp16, s, true));  // rows skipped
  check_point(*k, cudnn_point(Pass::bwd, DType::bf16, s, false, 0.0, Layout::bnhd));
}

#endif  // FA_FAMILY_CUDNN
