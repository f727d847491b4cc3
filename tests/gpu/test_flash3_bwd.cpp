// Correctness of the flash3 backward (Hopper, sm_90a) against the float64 reference, two ways:
//  - direct: fa::flash3::run_bwd on O and lse of the float64 reference forward (a forward bug can neither
//    cause nor hide a backward failure), dQ, dK, dV NaN-poisoned before each of two runs on one workspace
//    (the second checks the accumulator is re-initialised). On failure it names the gradient, its relative
//    L2 error and the element with the largest error, (b, h, n, d), with both values: tiny shapes first, so
//    a first run on a new GPU says where the kernel goes wrong;
//  - through the kernel interface (Pass::bwd and fwdbwd, flash3's own forward): the edge shapes — lengths
//    that are multiples of no tile (TMA zero-fill of query rows and keys past the end, masked keys), Nq != Nk
//    both ways under the bottom-right causal mask (rows that see no key: lse = -inf, zero gradients), bnhd,
//    large logits, batch x heads beyond one grid dimension, dropout;
//  - the dropout probe (tests/dropout_probe.hpp): O and dV spell out every keep flag, compared one by one with
//    the shared mask of core/philox.hpp (the backward's fragment is transposed relative to the forward's).
// On a GPU that is not sm_90 the family declines and the tests say so.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/cuda_check.hpp"
#include "core/kernel.hpp"
#include "core/philox.hpp"
#include "core/problem.hpp"
#include "kernels/flash3/flash3_bwd.hpp"
#include "measure/operands.hpp"
#include "measure/verify.hpp"
#include "reference/attention.hpp"
#include "tests/dropout_probe.hpp"
#include "tests/gpu/device_tensor.hpp"
#include "tests/gpu/dropout_probe_check.hpp"
#include "tests/gpu/flash3_test_points.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace {

using fa::DType;
using fa::Layout;
using fa::Pass;
using fa::testing::DeviceBuffer;
using fa::testing::DeviceTensor;
using fa::testing::require_flash3;
using fa::testing::Shape;

fa::testing::SeedSequence data_seeds{94000};

// ---- direct: the backward on reference O and lse ---------------------------------------------------

struct Case {
  Shape s;
  DType dt = DType::bf16;
  bool causal = false;
  double dropout = 0.0;
  Layout layout = Layout::bhnd;
  double input_scale = 1.0;
};

std::string describe(const Case& c) {
  return fa::testing::to_text("B", c.s.b, " H", c.s.h, " Nq", c.s.nq, " Nk", c.s.nk, " D", c.s.d, " ",
                              fa::to_string(c.dt), c.causal ? " causal" : "", " p", c.dropout, " ",
                              fa::to_string(c.layout), " x", c.input_scale);
}

// The element of `got` (bhnd, n rows of d) farthest from `ref`, as "(b, h, n, d) got G ref R"; non-finite
// values count as infinitely far.
std::string worst_element(const std::vector<double>& got, const std::vector<double>& ref, const Case& c,
                          std::int64_t n) {
  std::size_t worst = 0;
  double err = -1;
  for (std::size_t i = 0; i < got.size(); ++i) {
    const double e = std::isfinite(got[i]) ? std::fabs(got[i] - ref[i]) : INFINITY;
    if (e > err) err = e, worst = i;
  }
  const auto d = static_cast<std::size_t>(c.s.d), nn = static_cast<std::size_t>(n);
  const auto h = static_cast<std::size_t>(c.s.h);
  const std::size_t di = worst % d, ni = worst / d % nn, hi = worst / d / nn % h, bi = worst / d / nn / h;
  return fa::testing::to_text("max |error| ", err, " at (b ", bi, ", h ", hi, ", n ", ni, ", d ", di, "): got ",
                              got[worst], " ref ", ref[worst]);
}

struct DeviceOperands {
  DeviceTensor q, k, v, o, dout, dq, dk, dv;
  DeviceBuffer lse;
  explicit DeviceOperands(const Case& c)
      : q(c.dt, c.layout, c.s.b, c.s.h, c.s.nq, c.s.d),
        k(c.dt, c.layout, c.s.b, c.s.h, c.s.nk, c.s.d),
        v(c.dt, c.layout, c.s.b, c.s.h, c.s.nk, c.s.d),
        o(c.dt, c.layout, c.s.b, c.s.h, c.s.nq, c.s.d),
        dout(c.dt, c.layout, c.s.b, c.s.h, c.s.nq, c.s.d),
        dq(c.dt, c.layout, c.s.b, c.s.h, c.s.nq, c.s.d),
        dk(c.dt, c.layout, c.s.b, c.s.h, c.s.nk, c.s.d),
        dv(c.dt, c.layout, c.s.b, c.s.h, c.s.nk, c.s.d),
        lse(static_cast<std::size_t>(c.s.b * c.s.h * c.s.nq) * sizeof(float)) {}

  fa::flash3::Flash3BwdParams params(const Case& c, const fa::Problem& p) const {
    fa::flash3::Flash3BwdParams f;
    fa::operands_into(fa::testing::backward_operands(q, k, v, o, dout, dq, dk, dv, lse.ptr), f);
    f.batch = static_cast<int>(c.s.b), f.heads = static_cast<int>(c.s.h);
    f.seqlen_q = static_cast<int>(c.s.nq), f.seqlen_kv = static_cast<int>(c.s.nk), f.head_dim = static_cast<int>(c.s.d);
    f.dtype = c.dt;
    f.scale = static_cast<float>(p.scale());
    f.causal = c.causal;
    f.dropout_threshold8 = fa::dropout_threshold8(c.dropout);  // as the family's params_for sets them
    f.dropout_p_used = static_cast<float>(fa::dropout_p_used(c.dropout));
    f.seed = p.seed;
    return f;
  }
};

struct Reference {
  std::vector<double> o, lse, dq, dk, dv;
};

Reference reference_for(const fa::Problem& p, const fa::HostInputs& in) {
  const fa::ref::Config cfg = fa::ref::config_for(p, nullptr);
  const auto q_n = static_cast<std::size_t>(p.batch * p.heads * p.seqlen_q * p.head_dim);
  const auto kv_n = static_cast<std::size_t>(p.batch * p.heads * p.seqlen_kv * p.head_dim);
  Reference r{std::vector<double>(q_n), std::vector<double>(static_cast<std::size_t>(p.batch * p.heads * p.seqlen_q)),
              std::vector<double>(q_n), std::vector<double>(kv_n), std::vector<double>(kv_n)};
  fa::ref::forward(cfg, in.q.data(), in.k.data(), in.v.data(), r.o.data(), r.lse.data());
  fa::ref::backward(cfg, in.q.data(), in.k.data(), in.v.data(), r.o.data(), r.lse.data(), in.dout.data(), r.dq.data(),
                    r.dk.data(), r.dv.data());
  return r;
}

void check_gradient(const char* name, const DeviceTensor& t, const std::vector<double>& ref, const Case& c,
                    std::int64_t n, double tol) {
  const std::vector<double> got = t.download();
  std::int64_t nonfinite = 0;
  const double e = fa::testing::rel_l2(got, ref, &nonfinite);
  const bool ok = nonfinite == 0 && e <= tol;
  INFO(name << ": relative L2 error " << e << " (tol " << tol << "), non-finite " << nonfinite
            << (ok ? std::string() : "; " + worst_element(got, ref, c, n)));
  CHECK(ok);
}

void check_direct(const Case& c) {
  fa::Problem p;
  p.batch = c.s.b, p.heads = c.s.h, p.seqlen_q = c.s.nq, p.seqlen_kv = c.s.nk, p.head_dim = c.s.d;
  p.dtype = c.dt, p.causal = c.causal, p.dropout = c.dropout, p.layout = c.layout;
  p.seed = fa::testing::shape_seed(0xf1a53b00ULL, c.s);
  const fa::HostInputs in = fa::make_host_inputs(p, Pass::bwd, c.input_scale, data_seeds.next());
  const Reference ref = reference_for(p, in);

  DeviceOperands dev(c);
  dev.q.upload(in.q), dev.k.upload(in.k), dev.v.upload(in.v), dev.o.upload(ref.o), dev.dout.upload(in.dout);
  const std::vector<float> lse_f(ref.lse.begin(), ref.lse.end());
  FA_CUDA_CHECK(cudaMemcpy(dev.lse.ptr, lse_f.data(), dev.lse.bytes, cudaMemcpyHostToDevice));
  const fa::flash3::Flash3BwdParams f = dev.params(c, p);
  const std::string why = fa::flash3::bwd_unsupported_reason(f);
  INFO(describe(c) << (why.empty() ? "" : " unsupported: " + why));
  REQUIRE(why.empty());

  DeviceBuffer ws(fa::flash3::bwd_workspace_bytes(f));
  const fa::flash3::Bwd3Plan plan = fa::flash3::plan_bwd(f, ws.ptr);
  const double tol = fa::tolerance_for(c.dt, Pass::bwd);
  for (int run = 0; run < 2; ++run) {  // the second run reuses the dirty workspace
    INFO("run " << run);
    dev.dq.poison(), dev.dk.poison(), dev.dv.poison();
    fa::flash3::run_bwd(f, plan, nullptr);
    FA_CUDA_CHECK(cudaDeviceSynchronize());
    check_gradient("dV", dev.dv, ref.dv, c, c.s.nk, tol);
    check_gradient("dK", dev.dk, ref.dk, c, c.s.nk, tol);
    check_gradient("dQ", dev.dq, ref.dq, c, c.s.nq, tol);
  }
}

// ---- through the kernel interface -----------------------------------------------------------------

fa::testing::Flash3Points bwd_points(fa::AttentionKernel& k, Pass pass = Pass::bwd) {
  return {k, pass, {64, 128, 96}, 0xf1a53b00ULL, data_seeds};
}

}  // namespace

TEST_CASE("flash3 bwd direct: tiny shapes first (which gradient, where)", "[gpu][flash3]") {
  FA_REQUIRE_GPU();
  require_flash3(Pass::bwd);
  // One key block, one or two query blocks, then one consumer warpgroup's keys ragged.
  for (std::int64_t d : {64, 128, 96})
    for (std::int64_t n : {64, 128}) {
      Case c;
      c.s = Shape{1, 1, n, n, d};
      check_direct(c);
    }
  Case c;
  c.s = Shape{1, 1, 128, 128, 64}, c.causal = true;
  check_direct(c);
  c.s = Shape{1, 2, 100, 70, 128}, c.causal = false, c.dt = DType::fp16;
  check_direct(c);
  c.s = Shape{1, 1, 128, 128, 64}, c.dropout = 0.5;
  check_direct(c);
}

TEST_CASE("flash3 bwd direct: dtypes x head dims x causal x dropout, ragged and unequal lengths", "[gpu][flash3]") {
  FA_REQUIRE_GPU();
  require_flash3(Pass::bwd);
  for (DType dt : {DType::fp16, DType::bf16})
    for (std::int64_t d : {64, 96, 128})
      for (bool causal : {false, true})
        for (double dropout : {0.0, 0.17}) {
          Case c;
          c.dt = dt, c.causal = causal, c.dropout = dropout;
          c.s = Shape{1, 2, 200, 300, d};
          check_direct(c);
          c.s = Shape{2, 1, 300, 200, d};  // Nq > Nk: causal leaves the first 100 rows without keys
          check_direct(c);
        }
}

TEST_CASE("flash3 bwd direct: bnhd, large logits", "[gpu][flash3]") {
  FA_REQUIRE_GPU();
  require_flash3(Pass::bwd);
  Case c;
  c.s = Shape{2, 3, 300, 200, 64}, c.layout = Layout::bnhd, c.causal = true, c.dropout = 0.17;
  check_direct(c);
  c.dropout = 0.0;
  c.s = Shape{2, 3, 129, 257, 128}, c.dt = DType::fp16, c.causal = false;
  check_direct(c);
  for (DType dt : {DType::fp16, DType::bf16}) {
    c = Case{};
    c.dt = dt, c.input_scale = 8, c.s = Shape{1, 2, 256, 256, 128};
    check_direct(c);
    c.causal = true, c.s = Shape{1, 2, 255, 300, 64};
    check_direct(c);
  }
}

TEST_CASE("flash3 bwd: dtypes x head dims x causal x dropout, bwd and fwdbwd", "[gpu][flash3]") {
  FA_REQUIRE_GPU();
  auto k = require_flash3(Pass::bwd);
  const fa::testing::Flash3Points bwd = bwd_points(*k), fwdbwd = bwd_points(*k, Pass::fwdbwd);
  for (DType dt : {DType::fp16, DType::bf16})
    for (std::int64_t d : {64, 96, 128})
      for (bool causal : {false, true})
        for (double dropout : {0.0, 0.17}) {
          Shape s;
          s.d = d;
          bwd.check(bwd.point(dt, s, causal, dropout));
          s.nq = 255, s.nk = 173;
          fwdbwd.check(fwdbwd.point(dt, s, causal, dropout));
        }
}

TEST_CASE("flash3 bwd: sequence lengths 1, 17, 255, 1000, 4097 (all pairs)", "[gpu][flash3]") {
  FA_REQUIRE_GPU();
  auto k = require_flash3(Pass::bwd);
  bwd_points(*k).length_pairs();
}

TEST_CASE("flash3 bwd: bnhd layout and large logits", "[gpu][flash3]") {
  FA_REQUIRE_GPU();
  auto k = require_flash3(Pass::bwd);
  const fa::testing::Flash3Points pts = bwd_points(*k);
  pts.bnhd();
  const Shape s{1, 2, 300, 300, 128};
  for (bool causal : {false, true}) pts.check(pts.point(DType::bf16, s, causal, 0.0), 8.0);
}

TEST_CASE("flash3 bwd: batch x heads beyond one grid dimension (66000 heads)", "[gpu][flash3]") {
  FA_REQUIRE_GPU();
  auto k = require_flash3(Pass::bwd);
  bwd_points(*k).many_heads();
}

TEST_CASE("flash3 bwd: unsupported points say why", "[gpu][flash3]") {
  FA_REQUIRE_GPU();
  auto k = require_flash3(Pass::bwd);
  fa::Problem p;
  p.dtype = DType::bf16;
  p.head_dim = 256;
  CHECK(k->supports(p, Pass::fwd).ok);
  CHECK(k->supports(p, Pass::bwd).reason == "flash3 backward head dims: 64, 96, 128 (256 is not written yet)");
  p.head_dim = 128;
  CHECK(k->supports(p, Pass::bwd).ok);
  CHECK(k->supports(p, Pass::fwdbwd).ok);
}

TEST_CASE("flash3 dropout mask: forward and backward drop exactly the defined elements", "[gpu][flash3][dropout]") {
  FA_REQUIRE_GPU();
  auto k = require_flash3(Pass::bwd);
  REQUIRE(k->shares_dropout_mask());
  std::uint64_t seed = 0xd50b3000ULL;
  for (DType dt : {DType::fp16, DType::bf16})
    for (std::int64_t d : {64, 96, 128})
      for (double p : {0.5, 0.17}) {  // thresholds 128 and 44
        const fa::Problem pr = fa::testing::dropout_probe_problem(2, 3, d, dt, p, ++seed);
        fa::testing::check_dropout_probe_pass(*k, pr, Pass::fwdbwd);
        fa::testing::check_dropout_probe_pass(*k, pr, Pass::bwd);
      }
}

// Small points for compute-sanitizer (memcheck, racecheck, synccheck); hidden from normal runs.
TEST_CASE("flash3 bwd: sanitizer points", "[.flash3_bwd_sanitize]") {
  FA_REQUIRE_GPU();
  require_flash3(Pass::bwd);
  Case c;
  c.s = Shape{1, 1, 200, 130, 64}, c.causal = true, c.dt = DType::fp16, c.dropout = 0.17;
  check_direct(c);
  c.dropout = 0.0;
  c.s = Shape{1, 1, 130, 200, 96}, c.causal = false, c.dt = DType::bf16, c.layout = Layout::bnhd;
  check_direct(c);
  c.s = Shape{1, 1, 150, 150, 128}, c.causal = true, c.layout = Layout::bhnd;
  check_direct(c);
}
