// The ring family (ring attention across the GPUs of this host over NCCL, kernels/ring) through the
// kernel interface:
//  - forward (O, lse) and backward (dQ, dK, dV) against the float64 reference (measure/verify.hpp:
//    fresh random inputs, NaN-poisoned outputs, relative L2 error within the dtype's tolerance), with
//    sequence lengths of 2 * 97 rows per GPU: neither the whole sequence nor a shard is a multiple of
//    a flash tile, and causal points have full, diagonal and skipped blocks once P > 1;
//  - P is what the kernel uses: every visible GPU, or FA_RING_GPUS. With one GPU these tests run a
//    ring of one (no NCCL); with more, the real ring, plus FA_RING_GPUS=1 on the same machine;
//  - sharding (kernels/ring/ring_sharding.hpp): causal points of these lengths run zigzag (load-balanced)
//    shards, checked by sharding_for(); FA_RING_SHARDING=contiguous keeps the contiguous path tested,
//    FA_RING_SHARDING=zigzag runs non-causal points on permuted shards; a causal N that 2P does not
//    divide falls back to contiguous; a host-only test checks that the zigzag windows cover the causal
//    mask exactly once with equal work per step on every GPU;
//  - support reasons, bad FA_RING_GPUS and FA_RING_SHARDING values, re-runnable runs, CUDA graph
//    capture of run(), and the scratch accounting of the harness's device.
#include <catch2/catch.hpp>

#include "kernels/families_built.hpp"

#if FA_FAMILY_RING  // the family is built (cmake/FaKernelFamily.cmake)

#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/kernel.hpp"
#include "kernels/ring/ring_kernel.hpp"
#include "kernels/ring/ring_sharding.hpp"
#include "kernels/ring/ring_size.hpp"
#include "measure/graph_launch.hpp"
#include "measure/operands.hpp"
#include "measure/stream.hpp"
#include "measure/tracking_allocator.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"
#include "tests/gpu/ring_test_util.hpp"
#include "tests/scoped_env.hpp"

namespace {

using fa::DType;
using fa::Layout;
using fa::Pass;
using fa::testing::require_kernel;
using fa::testing::Shape;

fa::testing::SeedSequence data_seeds{47000};

using fa::testing::ragged_seqlen;
using fa::testing::ring_gpus;

// 97 rows per GPU: divisible by P but not by 2P, so a causal point cannot take zigzag shards.
std::int64_t odd_shard_seqlen(int gpus) { return static_cast<std::int64_t>(gpus) * 97; }

Shape self_attention(std::int64_t b, std::int64_t h, std::int64_t n, std::int64_t d) { return Shape{b, h, n, n, d}; }

fa::Point ring_point(Pass pass, DType dt, Shape s, bool causal, Layout layout = Layout::bhnd) {
  return fa::testing::attention_point("ring", pass, dt, s, causal, 0.0, layout,
                                      0x21a60000ULL + static_cast<std::uint64_t>(s.nq * 7919 + s.d));
}

void check_point(fa::AttentionKernel& k, const fa::Point& pt, double input_scale = 1.0) {
  const fa::Problem& p = pt.problem;
  fa::testing::check_supported_point(
      k, pt,
      fa::testing::to_text(fa::point_label(pt), " N", p.seqlen_q, " ", fa::to_string(p.layout), " x", input_scale,
                           " P", ring_gpus()),
      data_seeds.next(), input_scale);
}

using fa::testing::ScopedEnv;
using fa::ring::Sharding;

// The sharding the ring kernel `k` runs point `p` with.
Sharding sharding_of(const fa::AttentionKernel& k, const fa::Problem& p) {
  const auto* ring = dynamic_cast<const fa::ring::RingKernel*>(&k);
  REQUIRE(ring != nullptr);
  return ring->sharding_for(p);
}

// Checks that `pt` runs with the expected sharding, then verifies it.
void check_sharded_point(fa::AttentionKernel& k, const fa::Point& pt, Sharding expected, double input_scale = 1.0) {
  INFO(fa::point_label(pt) << " N" << pt.problem.seqlen_q << ": expecting " << fa::ring::to_string(expected)
                           << " shards");
  CHECK(sharding_of(k, pt.problem) == expected);
  check_point(k, pt, input_scale);
}

// The default rule at the ragged lengths (2P divides N): zigzag for causal, contiguous otherwise. Tests
// that expect it set FA_RING_SHARDING="" (unset) first, whatever the caller's environment says.
Sharding default_sharding(bool causal) { return causal ? Sharding::zigzag : Sharding::contiguous; }

fa::Problem problem(std::int64_t b, std::int64_t h, std::int64_t n, std::int64_t d, DType dt, bool causal) {
  fa::Problem p;
  p.batch = b, p.heads = h, p.seqlen_q = p.seqlen_kv = n, p.head_dim = d;
  p.dtype = dt, p.causal = causal;
  return p;
}

// One prepared run on given host inputs, outside the verification helper: for several runs of one
// preparation and for graph capture.
struct DirectRun {
  fa::DeviceTrackingAllocator operands_alloc, scratch;
  fa::StreamHandle stream{true};
  fa::Problem p;
  Pass pass;
  fa::OperandSet ops;
  std::unique_ptr<fa::PreparedRun> run;

  DirectRun(fa::AttentionKernel& k, const fa::Problem& problem, Pass ps, const fa::HostInputs& in)
      : p(problem), pass(ps), ops(problem, ps, fa::Backend::cuda, operands_alloc, nullptr) {
    ops.upload(in);
    ops.poison_outputs(stream.get());
    fa::ExecContext ctx{stream.get(), &scratch, 0};
    run = k.prepare(p, pass, ops.ops(), ctx);
  }
  void repeat(int times) {
    for (int i = 0; i < times; ++i) run->run();
    stream.synchronize();
  }
  std::vector<fa::Tensor> outputs() const {
    if (pass == Pass::fwd) return {fa::Tensor::o, fa::Tensor::lse};
    return {fa::Tensor::o, fa::Tensor::lse, fa::Tensor::dq, fa::Tensor::dk, fa::Tensor::dv};
  }
};

}  // namespace

TEST_CASE("ring fwd: fp16/bf16 x D 64/128 x causal", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  ScopedEnv default_sharding_rule("FA_RING_SHARDING", "");  // causal: zigzag, non-causal: contiguous
  auto k = require_kernel("ring");
  const std::int64_t n = ragged_seqlen(ring_gpus());
  for (DType dt : {DType::fp16, DType::bf16})
    for (std::int64_t d : {64, 128})
      for (bool causal : {false, true}) {
        check_sharded_point(*k, ring_point(Pass::fwd, dt, self_attention(1, 2, n, d), causal),
                            default_sharding(causal));
      }
}

TEST_CASE("ring bwd: fp16/bf16 x D 64/128 x causal", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  ScopedEnv default_sharding_rule("FA_RING_SHARDING", "");
  auto k = require_kernel("ring");
  const std::int64_t n = ragged_seqlen(ring_gpus());
  for (DType dt : {DType::fp16, DType::bf16})
    for (std::int64_t d : {64, 128})
      for (bool causal : {false, true}) {
        check_sharded_point(*k, ring_point(Pass::bwd, dt, self_attention(1, 2, n, d), causal),
                            default_sharding(causal));
      }
}

TEST_CASE("ring: fwdbwd pass, bnhd layout, several batches and heads, large logits", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  ScopedEnv default_sharding_rule("FA_RING_SHARDING", "");
  auto k = require_kernel("ring");
  const int gpus = ring_gpus();
  const std::int64_t n = ragged_seqlen(gpus);
  for (bool causal : {false, true}) {
    check_point(*k, ring_point(Pass::fwdbwd, DType::bf16, self_attention(2, 3, n, 64), causal));
    // bnhd: a shard is B runs of n*H*D elements rather than B*H runs of n*D.
    check_point(*k, ring_point(Pass::fwd, DType::fp16, self_attention(2, 3, n, 128), causal, Layout::bnhd));
    check_point(*k, ring_point(Pass::bwd, DType::bf16, self_attention(2, 3, n, 64), causal, Layout::bnhd));
    // Large logits: the logsumexp merge must not overflow where one block dominates a row.
    check_point(*k, ring_point(Pass::fwd, DType::bf16, self_attention(1, 2, n, 128), causal), 8.0);
    check_point(*k, ring_point(Pass::bwd, DType::fp16, self_attention(1, 2, n, 64), causal), 8.0);
  }
  // Longer shards (several flash tiles per block, both ragged; zigzag chunks of 150 rows).
  check_sharded_point(
      *k, ring_point(Pass::fwdbwd, DType::fp16, self_attention(1, 2, static_cast<std::int64_t>(gpus) * 300, 64), true),
      Sharding::zigzag);
}

TEST_CASE("ring: FA_RING_SHARDING=contiguous keeps causal points on contiguous shards", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  // Read when the kernel is created: set it first.
  ScopedEnv contiguous("FA_RING_SHARDING", "contiguous");
  auto k = require_kernel("ring");
  CHECK_THAT(std::string(k->summary()), Catch::Contains("sharding: contiguous (FA_RING_SHARDING)"));
  const int gpus = ring_gpus();
  const std::int64_t n = ragged_seqlen(gpus);
  for (DType dt : {DType::fp16, DType::bf16})
    for (std::int64_t d : {64, 128}) {
      check_sharded_point(*k, ring_point(Pass::fwd, dt, self_attention(1, 2, n, d), true), Sharding::contiguous);
      check_sharded_point(*k, ring_point(Pass::bwd, dt, self_attention(1, 2, n, d), true), Sharding::contiguous);
    }
  check_sharded_point(*k, ring_point(Pass::fwdbwd, DType::bf16, self_attention(2, 3, n, 64), true, Layout::bnhd),
                      Sharding::contiguous);
  check_sharded_point(*k, ring_point(Pass::fwd, DType::bf16, self_attention(1, 2, n, 128), true), Sharding::contiguous,
                      8.0);
  check_sharded_point(*k, ring_point(Pass::fwdbwd, DType::fp16, self_attention(1, 2, n, 64), false),
                      Sharding::contiguous);
}

TEST_CASE("ring: FA_RING_SHARDING=zigzag permutes non-causal points too, and needs 2P to divide N", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  ScopedEnv zigzag("FA_RING_SHARDING", "zigzag");
  auto k = require_kernel("ring");
  CHECK_THAT(std::string(k->summary()), Catch::Contains("sharding: zigzag (FA_RING_SHARDING)"));
  const int gpus = ring_gpus();
  const std::int64_t n = ragged_seqlen(gpus);
  // Non-causal on zigzag shards: every block in full, only the row permutation (scatter, gather) differs.
  check_sharded_point(*k, ring_point(Pass::fwd, DType::fp16, self_attention(1, 2, n, 64), false), Sharding::zigzag);
  check_sharded_point(*k, ring_point(Pass::fwdbwd, DType::bf16, self_attention(2, 3, n, 128), false, Layout::bnhd),
                      Sharding::zigzag);
  check_sharded_point(*k, ring_point(Pass::fwdbwd, DType::bf16, self_attention(1, 2, n, 64), true), Sharding::zigzag);
  // Asked for explicitly, zigzag is not replaced by contiguous shards where 2P does not divide N.
  const fa::Problem odd = problem(1, 2, odd_shard_seqlen(gpus), 64, DType::fp16, true);
  const fa::Support s = k->supports(odd, Pass::fwd);
  CHECK_FALSE(s.ok);
  CHECK_THAT(s.reason, Catch::Contains("FA_RING_SHARDING=zigzag needs the sequence length (" +
                                       std::to_string(odd.seqlen_q) + ") divisible by 2 x " + std::to_string(gpus)));
}

TEST_CASE("ring: causal N that 2P does not divide falls back to contiguous shards", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  ScopedEnv default_sharding_rule("FA_RING_SHARDING", "");
  auto k = require_kernel("ring");
  CHECK_THAT(std::string(k->summary()), Catch::Contains("zigzag (load-balanced) for causal"));
  const std::int64_t n = odd_shard_seqlen(ring_gpus());  // 97 rows per GPU
  check_sharded_point(*k, ring_point(Pass::fwd, DType::fp16, self_attention(1, 2, n, 64), true), Sharding::contiguous);
  check_sharded_point(*k, ring_point(Pass::fwdbwd, DType::bf16, self_attention(1, 2, n, 128), true),
                      Sharding::contiguous);
}

TEST_CASE("ring: FA_RING_GPUS=1 runs a ring of one GPU whatever the machine has", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  // The kernel reads FA_RING_GPUS when it is created: set it first.
  ScopedEnv one("FA_RING_GPUS", "1");
  ScopedEnv default_sharding_rule("FA_RING_SHARDING", "");
  auto k = require_kernel("ring");
  auto* ring = dynamic_cast<fa::ring::RingKernel*>(k.get());
  REQUIRE(ring != nullptr);
  CHECK(ring->ring_size() == 1);
  const std::int64_t n = ragged_seqlen(1);
  for (bool causal : {false, true}) {
    // Causal: zigzag of one GPU (chunks 0 and 1, in order: the same rows as contiguous).
    check_sharded_point(*k, ring_point(Pass::fwd, DType::fp16, self_attention(1, 2, n, 64), causal),
                        default_sharding(causal));
    check_sharded_point(*k, ring_point(Pass::fwdbwd, DType::bf16, self_attention(1, 2, n, 128), causal),
                        default_sharding(causal));
  }
}

TEST_CASE("ring: unsupported points say why", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("ring");
  const int gpus = ring_gpus();
  const fa::Problem ok = problem(1, 2, ragged_seqlen(gpus), 64, DType::fp16, false);
  REQUIRE(k->supports(ok, Pass::fwdbwd).ok);

  fa::Problem p = ok;
  p.dropout = 0.1;
  CHECK(k->supports(p, Pass::fwd).reason ==
        "ring: dropout not supported: the shared Philox mask is keyed on global row/col, which the per-block flash "
        "launches do not offset");
  p = ok;
  p.seqlen_kv = p.seqlen_q + 2 * gpus;
  CHECK_THAT(k->supports(p, Pass::fwd).reason, Catch::Contains("seqlen_q == seqlen_kv"));
  p = ok;
  p.dtype = DType::fp32;
  CHECK(k->supports(p, Pass::fwd).reason == "ring takes fp16/bf16");
  p = ok;
  p.sparsity.pattern = "local";
  CHECK_THAT(k->supports(p, Pass::fwd).reason, Catch::Contains("dense only"));
  p = ok;
  p.head_dim = 80;  // the per-block flash launch says why
  CHECK_THAT(k->supports(p, Pass::bwd).reason, Catch::StartsWith("ring: flash"));
  if (gpus > 1) {
    p = ok;
    p.seqlen_q = p.seqlen_kv = ragged_seqlen(gpus) + 1;
    CHECK_THAT(k->supports(p, Pass::fwd).reason, Catch::Contains("not divisible by the " + std::to_string(gpus)));
  } else {
    WARN("one GPU: every sequence length divides among the ring; the divisibility reason needs two or more");
  }
}

TEST_CASE("ring: bad FA_RING_GPUS values are refused with the reason", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  int count = 0;
  REQUIRE(cudaGetDeviceCount(&count) == cudaSuccess);
  const std::string too_many = std::to_string(count + 1);
  for (const std::string& bad : {std::string("0"), std::string("-1"), std::string("two"), std::string("2x"),
                                std::string(" 1"), too_many}) {
    INFO("FA_RING_GPUS='" << bad << "'");
    ScopedEnv env("FA_RING_GPUS", bad.c_str());
    CHECK_THROWS_AS(fa::ring::ring_size_from_environment(), std::invalid_argument);
    fa::ring::RingKernel k;  // creating the kernel does not throw: supports() says why
    const fa::Support s = k.supports(problem(1, 2, 256, 64, DType::fp16, false), Pass::fwd);
    CHECK_FALSE(s.ok);
    CHECK_THAT(s.reason, Catch::Contains("FA_RING_GPUS='" + bad + "' is not valid"));
    CHECK_THROWS_AS(k.ring_size(), std::invalid_argument);
    fa::DeviceTrackingAllocator scratch;
    CHECK_THROWS_AS(k.prepare(problem(1, 2, 256, 64, DType::fp16, false), Pass::fwd, fa::Operands{},
                              fa::ExecContext{nullptr, &scratch, 0}),
                    std::invalid_argument);
  }
}

TEST_CASE("ring: bad FA_RING_SHARDING values are refused with the reason", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  for (const char* bad : {"Zigzag", "striped", " zigzag", "contiguous ", "1"}) {
    INFO("FA_RING_SHARDING='" << bad << "'");
    ScopedEnv env("FA_RING_SHARDING", bad);
    CHECK_THROWS_AS(fa::ring::sharding_from_environment(), std::invalid_argument);
    fa::ring::RingKernel k;  // creating the kernel does not throw: supports() says why
    const fa::Problem p = problem(1, 2, ragged_seqlen(ring_gpus()), 64, DType::fp16, true);
    const fa::Support s = k.supports(p, Pass::fwd);
    CHECK_FALSE(s.ok);
    CHECK_THAT(s.reason, Catch::Contains(std::string("FA_RING_SHARDING='") + bad +
                                         "' is not valid (accepted: zigzag, contiguous"));
    CHECK_THROWS_AS(k.sharding_for(p), std::invalid_argument);
    fa::DeviceTrackingAllocator scratch;
    CHECK_THROWS_AS(k.prepare(p, Pass::fwd, fa::Operands{}, fa::ExecContext{nullptr, &scratch, 0}),
                    std::invalid_argument);
  }
}

TEST_CASE("ring: run() is re-runnable (outputs bit-identical)", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("ring");
  const std::int64_t n = ragged_seqlen(ring_gpus());
  for (Pass pass : {Pass::fwd, Pass::fwdbwd})
    for (bool causal : {false, true}) {
      const fa::Problem p = problem(2, 3, n, 64, DType::bf16, causal);
      const fa::HostInputs in = fa::make_host_inputs(p, pass, 1.0, data_seeds.next());
      DirectRun once(*k, p, pass, in), thrice(*k, p, pass, in);
      once.repeat(1);
      thrice.repeat(3);
      for (fa::Tensor t : once.outputs()) {
        INFO(fa::to_string(pass) << " causal " << causal << " " << fa::to_string(t));
        CHECK(once.ops.download(t) == thrice.ops.download(t));
      }
    }
}

TEST_CASE("ring: run() captured into a CUDA graph gives the plain run's outputs", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("ring");
  const std::int64_t n = ragged_seqlen(ring_gpus());
  for (Pass pass : {Pass::fwd, Pass::bwd, Pass::fwdbwd}) {
    const fa::Problem p = problem(1, 2, n, 128, DType::fp16, true);
    const fa::HostInputs in = fa::make_host_inputs(p, pass, 1.0, data_seeds.next());
    DirectRun plain(*k, p, pass, in), graphed(*k, p, pass, in);
    plain.repeat(1);
    fa::GraphLaunch graph;
    std::string why;
    INFO(fa::to_string(pass));
    const bool captured = graph.capture(graphed.stream.get(), [&] { graphed.run->run(); }, &why);
    INFO("capture: " << (captured ? "ok" : why));
    REQUIRE(captured);
    graph.launch(graphed.stream.get());
    graph.launch(graphed.stream.get());
    graphed.stream.synchronize();
    for (fa::Tensor t : plain.outputs()) {
      INFO(fa::to_string(t));
      CHECK(plain.ops.download(t) == graphed.ops.download(t));
    }
  }
}

TEST_CASE("ring: scratch on the harness's device is what workspace_bytes() says", "[gpu][ring]") {
  FA_REQUIRE_GPU();
  // Both shardings: zigzag's causal backward holds one more buffer (the upper half's lse).
  for (const char* sharding : {"", "contiguous"}) {
    ScopedEnv env("FA_RING_SHARDING", sharding);
    auto k = require_kernel("ring");
    const fa::Problem p = problem(2, 4, static_cast<std::int64_t>(ring_gpus()) * 512, 128, DType::bf16, true);
    CHECK(sharding_of(*k, p) == (sharding[0] == '\0' ? Sharding::zigzag : Sharding::contiguous));
    for (Pass pass : {Pass::fwd, Pass::bwd, Pass::fwdbwd}) {
      REQUIRE(k->supports(p, pass).ok);
      const std::size_t expected = k->workspace_bytes(p, pass);
      const fa::testing::PassTiming t = fa::testing::time_kernel_pass(*k, p, pass);
      INFO("FA_RING_SHARDING='" << sharding << "' " << fa::to_string(pass) << ": " << t.ms << " ms, scratch peak "
                                << t.scratch_peak_bytes << " B, workspace_bytes " << expected);
      CHECK(t.scratch_peak_bytes == expected);
      CHECK(t.ms > 0);
    }
  }
}

// The schedule's arithmetic on the host (no GPU needed): for every P up to 8, both shardings and both
// mask kinds, the windows that block_work() gives each rank at each step, mapped to global rows through
// shard_runs(), must compute every visible (query, key) pair exactly once and no masked pair; zigzag
// causal must give every rank the same work at every step; and the only partial query window must be
// the upper half of the shard (the one the backward keeps a compact lse for).
TEST_CASE("ring: sharding windows cover the mask exactly once, zigzag balances causal (host only)", "[ring]") {
  using fa::ring::block_work;
  using fa::ring::BlockWork;
  using fa::ring::RowRun;
  for (int P = 1; P <= 8; ++P)
    for (std::int64_t c : {1, 2, 3})
      for (Sharding sharding : {Sharding::contiguous, Sharding::zigzag})
        for (bool causal : {false, true}) {
          INFO("P " << P << ", chunk " << c << ", " << fa::ring::to_string(sharding) << (causal ? ", causal" : ""));
          const std::int64_t n = 2 * c, N = P * n;
          // local row -> global row of every rank's shard; every global row held exactly once.
          std::vector<std::vector<std::int64_t>> global(P, std::vector<std::int64_t>(n, -1));
          std::vector<int> held(N, 0);
          for (int r = 0; r < P; ++r)
            for (const RowRun& run : fa::ring::shard_runs(sharding, r, P, n))
              for (std::int64_t i = 0; i < run.rows; ++i) {
                REQUIRE(run.local_first + i < n);
                REQUIRE(run.global_first + i < N);
                global[r][run.local_first + i] = run.global_first + i;
                ++held[run.global_first + i];
              }
          for (int r = 0; r < P; ++r)
            for (std::int64_t i = 0; i < n; ++i) CHECK(global[r][i] >= 0);
          for (std::int64_t g = 0; g < N; ++g) CHECK(held[g] == 1);

          std::vector<std::vector<int>> computed(N, std::vector<int>(N, 0));
          for (int s = 0; s < P; ++s) {
            std::vector<std::int64_t> pairs(P, 0);
            for (int r = 0; r < P; ++r) {
              const int j = (r - s + P) % P;
              const BlockWork w = block_work(sharding, causal, r, j, n);
              if (!w.any) continue;
              REQUIRE(w.q_first + w.q_rows <= n);
              REQUIRE(w.k_first + w.k_rows <= n);
              if (w.causal) CHECK(w.q_rows == w.k_rows);  // flash's bottom-right mask is then the local diagonal
              if (w.q_first != 0 || w.q_rows != n) {
                CHECK(w.q_first == n / 2);
                CHECK(w.q_rows == n / 2);
                CHECK(fa::ring::has_partial_query_windows(sharding, causal, P));
              }
              for (std::int64_t qi = 0; qi < w.q_rows; ++qi)
                for (std::int64_t ki = 0; ki < w.k_rows; ++ki) {
                  if (w.causal && ki > qi) continue;
                  ++computed[global[r][w.q_first + qi]][global[j][w.k_first + ki]];
                  ++pairs[r];
                }
            }
            if (sharding == Sharding::zigzag && causal) {
              for (int r = 1; r < P; ++r) CHECK(pairs[r] == pairs[0]);
            }
          }
          // One assertion per configuration: the number of wrong pairs and the first of them.
          std::int64_t wrong = 0;
          std::string first_wrong;
          for (std::int64_t q = 0; q < N; ++q)
            for (std::int64_t k = 0; k < N; ++k) {
              if (computed[q][k] == ((!causal || k <= q) ? 1 : 0)) continue;
              if (wrong++ == 0) {
                first_wrong = fa::testing::to_text("query row ", q, ", key row ", k, ": computed ", computed[q][k],
                                                   " times");
              }
            }
          INFO(first_wrong);
          CHECK(wrong == 0);
        }
}

// One small point of each pass for compute-sanitizer; hidden from normal runs.
TEST_CASE("ring: sanitizer points", "[.ring_sanitize]") {
  FA_REQUIRE_GPU();
  auto k = require_kernel("ring");
  const std::int64_t n = ragged_seqlen(ring_gpus());
  check_point(*k, ring_point(Pass::fwd, DType::fp16, self_attention(1, 2, n, 64), true));
  check_point(*k, ring_point(Pass::fwdbwd, DType::bf16, self_attention(1, 2, n, 128), true, Layout::bnhd));
}

#endif  // FA_FAMILY_RING
