// Variable-length batches in the float64 reference, the operands, FLOPs, the IO model and verify:
// a varlen batch is each sequence's own problem, so equal lengths must give exactly the fixed-length
// batch (dropout counters included), and unequal ones each sequence computed alone.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "measure/tracking_allocator.hpp"
#include "core/flops.hpp"
#include "kernels/registry.hpp"
#include "measure/io_model.hpp"
#include "measure/operands.hpp"
#include "measure/verify.hpp"
#include "reference/attention.hpp"

namespace {

std::vector<double> random_values(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> x(n);
  for (double& e : x) e = normal(rng);
  return x;
}

fa::Problem varlen_problem(std::vector<std::int64_t> lengths, std::int64_t heads, std::int64_t kv_heads) {
  fa::Problem p;
  p.batch = static_cast<std::int64_t>(lengths.size());
  p.heads = heads;
  p.kv_heads = fa::stored_kv_heads(heads, kv_heads);
  p.head_dim = 16;
  p.varlen = "fixed-list:test";
  p.seqlens = std::move(lengths);
  p.seqlen_q = p.seqlen_kv = *std::max_element(p.seqlens.begin(), p.seqlens.end());
  p.layout = fa::Layout::bnhd;
  return p;
}

struct Outputs {
  std::vector<double> o, lse, dq, dk, dv;
};

Outputs run_reference(const fa::ref::Config& c, const std::vector<double>& q, const std::vector<double>& k,
                      const std::vector<double>& v, const std::vector<double>& dout) {
  Outputs out{std::vector<double>(q.size()), std::vector<double>(q.size() / static_cast<std::size_t>(c.head_dim)),
              std::vector<double>(q.size()), std::vector<double>(k.size()), std::vector<double>(k.size())};
  fa::ref::forward(c, q.data(), k.data(), v.data(), out.o.data(), out.lse.data());
  fa::ref::backward(c, q.data(), k.data(), v.data(), out.o.data(), out.lse.data(), dout.data(), out.dq.data(),
                    out.dk.data(), out.dv.data());
  return out;
}

}  // namespace

TEST_CASE("varlen reference: equal lengths give exactly the fixed-length batch", "[reference][varlen]") {
  for (const bool causal : {false, true}) {
    for (const double dropout : {0.0, 0.2}) {
      INFO("causal " << causal << " dropout " << dropout);
      fa::Problem p = varlen_problem({37, 37, 37}, 4, 2);
      p.causal = causal;
      p.dropout = dropout;
      fa::Problem fixed = p;
      fixed.varlen.clear();
      fixed.seqlens.clear();
      fixed.seqlen_q = fixed.seqlen_kv = 37;
      // With equal lengths the per-sequence [H, L, D] blocks one after the other are [B, H, N, D].
      const auto q = random_values(static_cast<std::size_t>(fa::q_elements(p)), 1);
      const auto k = random_values(static_cast<std::size_t>(fa::kv_elements(p)), 2);
      const auto v = random_values(static_cast<std::size_t>(fa::kv_elements(p)), 3);
      const auto dout = random_values(static_cast<std::size_t>(fa::q_elements(p)), 4);
      const Outputs a = run_reference(fa::ref::config_for(p, nullptr), q, k, v, dout);
      const Outputs b = run_reference(fa::ref::config_for(fixed, nullptr), q, k, v, dout);
      CHECK(a.o == b.o);
      CHECK(a.lse == b.lse);
      CHECK(a.dq == b.dq);
      CHECK(a.dk == b.dk);
      CHECK(a.dv == b.dv);
    }
  }
}

TEST_CASE("varlen reference: each sequence is its own problem, nothing crosses sequences", "[reference][varlen]") {
  fa::Problem p = varlen_problem({1, 17, 5, 30}, 2, 2);
  p.causal = true;
  const auto q = random_values(static_cast<std::size_t>(fa::q_elements(p)), 5);
  const auto k = random_values(static_cast<std::size_t>(fa::kv_elements(p)), 6);
  const auto v = random_values(static_cast<std::size_t>(fa::kv_elements(p)), 7);
  const auto dout = random_values(static_cast<std::size_t>(fa::q_elements(p)), 8);
  const Outputs all = run_reference(fa::ref::config_for(p, nullptr), q, k, v, dout);
  const std::int64_t width = p.heads * p.head_dim;  // elements per token (as many K/V heads here)
  std::int64_t t = 0;
  for (std::int64_t b = 0; b < p.batch; ++b) {
    INFO("sequence " << b);
    const fa::Problem one = fa::sequence_problem(p, b);
    const auto part = [&](const std::vector<double>& x, std::int64_t per_token) {
      return std::vector<double>(x.begin() + t * per_token, x.begin() + (t + one.seqlen_q) * per_token);
    };
    const Outputs alone = run_reference(fa::ref::config_for(one, nullptr), part(q, width), part(k, width),
                                        part(v, width), part(dout, width));
    CHECK(part(all.o, width) == alone.o);
    CHECK(part(all.lse, p.heads) == alone.lse);
    CHECK(part(all.dq, width) == alone.dq);
    CHECK(part(all.dk, width) == alone.dk);
    CHECK(part(all.dv, width) == alone.dv);
    t += one.seqlen_q;
  }
}

TEST_CASE("varlen: FLOPs and IO-model bytes are sums over the sequences", "[varlen][io_model]") {
  fa::Problem p = varlen_problem({1, 17, 1000, 4097}, 16, 16);
  p.head_dim = 128;
  for (const bool causal : {false, true}) {
    p.causal = causal;
    double flops = 0;
    for (std::int64_t b = 0; b < p.batch; ++b) flops += fa::effective_flops(fa::sequence_problem(p, b), fa::Pass::fwdbwd, 1.0);
    CHECK(fa::effective_flops(p, fa::Pass::fwdbwd, 1.0) == Approx(flops).epsilon(1e-12));
  }
  // Causal: half of each square and half its diagonal, L (L + 1) / 2 per sequence.
  CHECK(fa::visible_fraction(p, 1.0) == Approx((1.0 + 153 + 500500 + 4097.0 * 4098 / 2) / (1.0 + 289 + 1e6 + 4097.0 * 4097)));
  const fa::IoModelParams prm;
  for (const fa::Pass pass : {fa::Pass::fwd, fa::Pass::bwd}) {
    const fa::Point pt{"flash", pass, p};
    const fa::IoPrediction all = fa::predict_io(pt, "flash", prm);
    REQUIRE(all.modelled);
    double sum = 0;
    for (std::int64_t b = 0; b < p.batch; ++b)
      sum += fa::predict_io(fa::Point{"flash", pass, fa::sequence_problem(p, b)}, "flash", prm).hbm_bytes;
    CHECK(all.hbm_bytes == Approx(sum));
    CHECK_THAT(all.note, Catch::Matchers::Contains("varlen: the sum over the 4 sequences"));
  }
}

TEST_CASE("varlen operands: packed sizes, token offsets, host round trip", "[varlen][operands]") {
  const fa::Problem p = varlen_problem({3, 1, 8}, 2, 1);
  fa::HostTrackingAllocator alloc;
  fa::OperandSet ops(p, fa::Pass::bwd, fa::Backend::host, alloc, nullptr);
  REQUIRE(ops.ops().cu_seqlens != nullptr);
  CHECK(std::vector<std::int32_t>(ops.ops().cu_seqlens, ops.ops().cu_seqlens + 4) == std::vector<std::int32_t>{0, 3, 4, 12});
  const fa::HostInputs in = fa::make_host_inputs(p, fa::Pass::bwd, 1.0, 9);
  CHECK(in.q.size() == 12u * 2 * 16);  // 12 tokens, no padding
  CHECK(in.k.size() == 12u * 1 * 16);
  ops.upload(in);
  CHECK(ops.download(fa::Tensor::q) == in.q);
  CHECK(ops.download(fa::Tensor::k) == in.k);
  CHECK(ops.download(fa::Tensor::dout) == in.dout);
  CHECK(ops.download(fa::Tensor::lse).size() == 12u * 2);
}

TEST_CASE("varlen verify: the reference family on a varlen point checks every output", "[varlen][verify]") {
  fa::Problem p = varlen_problem({1, 17, 100}, 4, 2);
  p.varlen = "fixed-list:1,17,100";
  p.causal = true;
  p.dropout = 0.1;
  auto kernel = fa::kernel_catalog().make("reference");
  const fa::VerifyResult r = fa::verify_point(*kernel, fa::Point{"reference", fa::Pass::bwd, p});
  CHECK(r.ok);
  CHECK_FALSE(r.skipped);
  CHECK(r.unwritten == 0);
  CHECK(r.errors.size() == 5);  // o, lse, dq, dk, dv
  // Past the CPU's budget the whole batch is skipped, saying so (no partial check of a sequence).
  fa::VerifyOptions small;
  small.max_reference_work = 1000;
  const fa::VerifyResult s = fa::verify_point(*kernel, fa::Point{"reference", fa::Pass::fwd, p}, small);
  CHECK(s.skipped);
  CHECK_THAT(s.note, Catch::Matchers::Contains("varlen"));
}
