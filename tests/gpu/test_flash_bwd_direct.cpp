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

void check_case(const Case& c) {
  fa::Problem p;
  p.batch = c.b, p.heads = c.h, p.seqlen_q = c.nq, p.seqlen_kv = c.nk, p.head_dim = c.d;
  p.dtype = c.dt, p.causal = c.causal, p.dropout = c.dropout, p.layout = c.layout;
  p.seed = 0xb00c0000ULL + seeds.next();
  p.sparsity.pattern = c.sparsity;
  p.sparsity.density = c.density;

  fa::BlockMask mask;
  const bool masked = c.sparsity != "dense";
  if (masked) mask = fa::ref::make_block_mask(p.sparsity, c.h, c.nq, c.nk, p.seed);
  const fa::ref::Config cfg = fa::ref::config_for(p, masked ? &mask : nullptr);

  const fa::HostInputs in = fa::make_host_inputs(p, fa::Pass::bwd, c.input_scale, seeds.next());
  const std::size_t q_n = static_cast<std::size_t>(c.b * c.h * c.nq * c.d);
  const std::size_t kv_n = static_cast<std::size_t>(c.b * c.h * c.nk * c.d);
  std::vector<double> o(q_n), lse(static_cast<std::size_t>(c.b * c.h * c.nq));
  fa::ref::forward(cfg, in.q.data(), in.k.data(), in.v.data(), o.data(), lse.data());
  std::vector<double> dq_ref(q_n), dk_ref(kv_n), dv_ref(kv_n);
  fa::ref::backward(cfg, in.q.data(), in.k.data(), in.v.data(), o.data(), lse.data(), in.dout.data(), dq_ref.data(),
                    dk_ref.data(), dv_ref.data());

  DeviceTensor q(c.dt, c.layout, c.b, c.h, c.nq, c.d), k(c.dt, c.layout, c.b, c.h, c.nk, c.d),
      v(c.dt, c.layout, c.b, c.h, c.nk, c.d), od(c.dt, c.layout, c.b, c.h, c.nq, c.d),
      dout(c.dt, c.layout, c.b, c.h, c.nq, c.d), dq(c.dt, c.layout, c.b, c.h, c.nq, c.d),
      dk(c.dt, c.layout, c.b, c.h, c.nk, c.d), dv(c.dt, c.layout, c.b, c.h, c.nk, c.d);
  q.upload(in.q), k.upload(in.k), v.upload(in.v), od.upload(o), dout.upload(in.dout);
  std::vector<float> lse_f(lse.begin(), lse.end());
  DeviceBuffer lse_d(lse_f.size() * sizeof(float));
  FA_CUDA_CHECK(cudaMemcpy(lse_d.ptr, lse_f.data(), lse_d.bytes, cudaMemcpyHostToDevice));
  DeviceBuffer mask_d(masked ? mask.bits.size() : 0);
  if (masked) FA_CUDA_CHECK(cudaMemcpy(mask_d.ptr, mask.bits.data(), mask.bits.size(), cudaMemcpyHostToDevice));

  fa::flash::FlashBwdParams fp;
  fa::operands_into(fa::testing::backward_operands(q, k, v, od, dout, dq, dk, dv, lse_d.ptr), fp);
  fp.batch = static_cast<int>(c.b), fp.heads = static_cast<int>(c.h);
  fp.seqlen_q = static_cast<int>(c.nq), fp.seqlen_kv = static_cast<int>(c.nk), fp.head_dim = static_cast<int>(c.d);
  fp.dtype = c.dt;
  fp.scale = static_cast<float>(p.scale());
  fp.causal = c.causal;
  fp.dropout = static_cast<float>(fa::dropout_p_used(c.dropout));  // what flash::params_for sets
  fp.dropout_threshold = fa::dropout_threshold8(c.dropout);
  fp.seed = p.seed;
  if (masked) {
    fp.block_mask = static_cast<const std::uint8_t*>(mask_d.ptr);
    fp.mask_heads = static_cast<int>(mask.heads);
    fp.mask_blocks_q = static_cast<int>(mask.blocks_q), fp.mask_blocks_k = static_cast<int>(mask.blocks_k);
    fp.mask_block_q = mask.block_q, fp.mask_block_k = mask.block_k;
  }
  const char* why = fa::flash::flash_bwd_unsupported_reason(fp);
  INFO(describe(c) << " unsupported: " << why);
  REQUIRE(std::string(why).empty());

  DeviceBuffer ws(fa::flash::flash_bwd_workspace_bytes(fp));
  const double tol = fa::tolerance_for(c.dt, fa::Pass::bwd);
  for (int run = 0; run < 2; ++run) {  // the second run reuses the dirty workspace
    dq.poison(), dk.poison(), dv.poison();
    fa::flash::flash_bwd(fp, ws.ptr, nullptr);
    FA_CUDA_CHECK(cudaDeviceSynchronize());
    std::int64_t bad = 0;
    const double e_dq = rel_l2(dq.download(), dq_ref, &bad);
    const double e_dk = rel_l2(dk.download(), dk_ref, &bad);
    const double e_dv = rel_l2(dv.download(), dv_ref, &bad);
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
