// The flash backward on its own: fa::flash::flash_bwd is fed O and lse from the float64 reference
// forward (so a forward bug cannot hide or cause a backward failure) and its dQ, dK, dV are compared
// with the float64 reference backward. Outputs are NaN-poisoned first; every call runs twice on the
// same workspace to check that it re-initialises its accumulators.
#include <catch2/catch.hpp>

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/block_mask.hpp"
#include "core/cuda_check.hpp"
#include "core/philox.hpp"
#include "core/problem.hpp"
#include "kernels/flash/flash_params.hpp"
#include "measure/operands.hpp"
#include "measure/verify.hpp"
#include "reference/attention.hpp"
#include "reference/masks.hpp"
#include "tests/gpu/device_tensor.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace {

using fa::DType;
using fa::Layout;
using fa::testing::DeviceBuffer;
using fa::testing::DeviceTensor;
using fa::testing::rel_l2;

struct Case {
  std::int64_t b = 1, h = 2, nq = 255, nk = 255, d = 64;
  DType dt = DType::fp16;
  bool causal = false;
  double dropout = 0.0;
  Layout layout = Layout::bhnd;
  std::string sparsity = "dense";
  double density = 1.0;
  double input_scale = 1.0;
};

std::string describe(const Case& c) {
  return "B" + std::to_string(c.b) + " H" + std::to_string(c.h) + " Nq" + std::to_string(c.nq) + " Nk" +
         std::to_string(c.nk) + " D" + std::to_string(c.d) + " " + std::string(fa::to_string(c.dt)) +
         (c.causal ? " causal" : "") + " p" + std::to_string(c.dropout) + " " + std::string(fa::to_string(c.layout)) +
         " " + c.sparsity + " x" + std::to_string(c.input_scale);
}

// Problem seeds (dropout mask, block mask) and data seeds both come from this one sequence.
fa::testing::SeedSequence seeds{77000};

fa::Problem problem_for(const Case& c) {
  fa::Problem p;
  p.batch = c.b, p.heads = c.h, p.seqlen_q = c.nq, p.seqlen_kv = c.nk, p.head_dim = c.d;
  p.dtype = c.dt, p.causal = c.causal, p.dropout = c.dropout, p.layout = c.layout;
  p.seed = 0xb00c0000ULL + seeds.next();
  p.sparsity.pattern = c.sparsity;
  p.sparsity.density = c.density;
  return p;
}

// The float64 forward (O and lse, which the backward reads) and the gradients it must match.
struct Reference {
  std::vector<double> o, lse, dq, dk, dv;
};

Reference reference_backward(const fa::ref::Config& cfg, const fa::HostInputs& in, const Case& c) {
  const std::size_t q_n = static_cast<std::size_t>(c.b * c.h * c.nq * c.d);
  const std::size_t kv_n = static_cast<std::size_t>(c.b * c.h * c.nk * c.d);
  Reference r{std::vector<double>(q_n), std::vector<double>(static_cast<std::size_t>(c.b * c.h * c.nq)),
              std::vector<double>(q_n), std::vector<double>(kv_n), std::vector<double>(kv_n)};
  fa::ref::forward(cfg, in.q.data(), in.k.data(), in.v.data(), r.o.data(), r.lse.data());
  fa::ref::backward(cfg, in.q.data(), in.k.data(), in.v.data(), r.o.data(), r.lse.data(), in.dout.data(), r.dq.data(),
                    r.dk.data(), r.dv.data());
  return r;
}

// The kernel's inputs on the device in the case's layout (O and lse the reference's), its outputs, the mask.
struct DeviceOperands {
  DeviceTensor q, k, v, o, dout, dq, dk, dv;
  DeviceBuffer lse, mask;

  DeviceOperands(const Case& c, const fa::HostInputs& in, const Reference& r, const fa::BlockMask* m)
      : q(c.dt, c.layout, c.b, c.h, c.nq, c.d),
        k(c.dt, c.layout, c.b, c.h, c.nk, c.d),
        v(c.dt, c.layout, c.b, c.h, c.nk, c.d),
        o(c.dt, c.layout, c.b, c.h, c.nq, c.d),
        dout(c.dt, c.layout, c.b, c.h, c.nq, c.d),
        dq(c.dt, c.layout, c.b, c.h, c.nq, c.d),
        dk(c.dt, c.layout, c.b, c.h, c.nk, c.d),
        dv(c.dt, c.layout, c.b, c.h, c.nk, c.d),
        lse(r.lse.size() * sizeof(float)),
        mask(m ? m->bits.size() : 0) {
    q.upload(in.q), k.upload(in.k), v.upload(in.v), o.upload(r.o), dout.upload(in.dout);
    const std::vector<float> lse_f(r.lse.begin(), r.lse.end());
    FA_CUDA_CHECK(cudaMemcpy(lse.ptr, lse_f.data(), lse.bytes, cudaMemcpyHostToDevice));
    if (m) FA_CUDA_CHECK(cudaMemcpy(mask.ptr, m->bits.data(), m->bits.size(), cudaMemcpyHostToDevice));
  }
};

fa::flash::FlashBwdParams bwd_params(const DeviceOperands& d, const Case& c, const fa::Problem& p,
                                     const fa::BlockMask* mask) {
  fa::flash::FlashBwdParams fp;
  fa::operands_into(fa::testing::backward_operands(d.q, d.k, d.v, d.o, d.dout, d.dq, d.dk, d.dv, d.lse.ptr), fp);
  fp.batch = static_cast<int>(c.b), fp.heads = static_cast<int>(c.h);
  fp.seqlen_q = static_cast<int>(c.nq), fp.seqlen_kv = static_cast<int>(c.nk), fp.head_dim = static_cast<int>(c.d);
  fp.dtype = c.dt;
  fp.scale = static_cast<float>(p.scale());
  fp.causal = c.causal;
  fp.dropout = static_cast<float>(fa::dropout_p_used(c.dropout));  // what flash::params_for sets
  fp.dropout_threshold = fa::dropout_threshold8(c.dropout);
  fp.seed = p.seed;
  if (mask) {
    fp.block_mask = static_cast<const std::uint8_t*>(d.mask.ptr);
    fp.mask_heads = static_cast<int>(mask->heads);
    fp.mask_blocks_q = static_cast<int>(mask->blocks_q), fp.mask_blocks_k = static_cast<int>(mask->blocks_k);
    fp.mask_block_q = mask->block_q, fp.mask_block_k = mask->block_k;
  }
  return fp;
}

void check_case(const Case& c) {
  const fa::Problem p = problem_for(c);
  fa::BlockMask mask;
  const bool masked = c.sparsity != "dense";
  if (masked) mask = fa::ref::make_block_mask(p.sparsity, c.h, c.nq, c.nk, p.seed);
  const fa::ref::Config cfg = fa::ref::config_for(p, masked ? &mask : nullptr);
  const fa::HostInputs in = fa::make_host_inputs(p, fa::Pass::bwd, c.input_scale, seeds.next());
  const Reference ref = reference_backward(cfg, in, c);

  DeviceOperands d(c, in, ref, masked ? &mask : nullptr);
  const fa::flash::FlashBwdParams fp = bwd_params(d, c, p, masked ? &mask : nullptr);
  const char* why = fa::flash::flash_bwd_unsupported_reason(fp);
  INFO(describe(c) << " unsupported: " << why);
  REQUIRE(std::string(why).empty());

  DeviceBuffer ws(fa::flash::flash_bwd_workspace_bytes(fp));
  const double tol = fa::tolerance_for(c.dt, fa::Pass::bwd);
  for (int run = 0; run < 2; ++run) {  // the second run reuses the dirty workspace
    d.dq.poison(), d.dk.poison(), d.dv.poison();
    fa::flash::flash_bwd(fp, ws.ptr, nullptr);
    FA_CUDA_CHECK(cudaDeviceSynchronize());
    std::int64_t bad = 0;
    const double e_dq = rel_l2(d.dq.download(), ref.dq, &bad);
    const double e_dk = rel_l2(d.dk.download(), ref.dk, &bad);
    const double e_dv = rel_l2(d.dv.download(), ref.dv, &bad);
    INFO(describe(c) << " run " << run << ": dq " << e_dq << " dk " << e_dk << " dv " << e_dv << " non-finite " << bad
                     << " (tol " << tol << ")");
    CHECK(bad == 0);
    CHECK(e_dq <= tol);
    CHECK(e_dk <= tol);
    CHECK(e_dv <= tol);
  }
}

}  // namespace

TEST_CASE("flash bwd direct: head dims x dtypes, causal and dropout", "[gpu][flash][flash_bwd]") {
  FA_REQUIRE_GPU();
  for (std::int64_t d : {32, 64, 96, 128, 256})
    for (DType dt : {DType::fp16, DType::bf16}) {
      Case c;
      c.d = d, c.dt = dt, c.nq = 200, c.nk = 300;
      check_case(c);
      c.causal = true, c.dropout = 0.17;
      check_case(c);
    }
}

TEST_CASE("flash bwd direct: odd and unequal lengths, fully masked rows", "[gpu][flash][flash_bwd]") {
  FA_REQUIRE_GPU();
  for (std::int64_t nq : {1, 17, 255, 1000})
    for (std::int64_t nk : {1, 17, 255, 1000}) {
      Case c;
      c.h = 1, c.nq = nq, c.nk = nk, c.causal = true, c.d = 64, c.dt = DType::bf16;
      check_case(c);
    }
}

TEST_CASE("flash bwd direct: bnhd, large logits, block masks", "[gpu][flash][flash_bwd]") {
  FA_REQUIRE_GPU();
  Case c;
  c.b = 2, c.h = 3, c.nq = 300, c.nk = 200, c.layout = Layout::bnhd, c.dropout = 0.17;
  check_case(c);
  c = Case{};
  c.input_scale = 8, c.causal = true, c.d = 128;
  check_case(c);
  for (const char* pattern : {"local", "random"}) {
    c = Case{};
    c.nq = c.nk = 700, c.sparsity = pattern, c.density = 0.4, c.causal = std::string(pattern) == "random";
    check_case(c);
  }
}

// Small enough for compute-sanitizer (memcheck, racecheck): run with "[flash_bwd_sanitize]".
TEST_CASE("flash bwd direct: one small point for the sanitizers", "[.][flash_bwd_sanitize]") {
  FA_REQUIRE_GPU();
  Case c;
  c.h = 1, c.nq = 100, c.nk = 150, c.d = 128, c.causal = true, c.dropout = 0.17;
  check_case(c);
  c.d = 64, c.nq = 150, c.nk = 100, c.sparsity = "random", c.density = 0.5, c.dropout = 0;
  check_case(c);
}
