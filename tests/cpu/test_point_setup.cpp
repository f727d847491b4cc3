// measure/point_setup: the one set-up of a point that run, verify, profile and gbench share, on the
// float64 reference kernel (host memory, so the operands can be read back here).
#include <catch2/catch.hpp>
#include <cmath>
#include <memory>

#include "kernels/reference/reference_kernel.hpp"
#include "measure/input_rotation.hpp"
#include "measure/launch_modes.hpp"
#include "measure/point_runner.hpp"
#include "measure/point_setup.hpp"
#include "reference/masks.hpp"

namespace {

fa::Point small_point(fa::Pass pass, const std::string& sparsity = "dense") {
  fa::Point pt;
  pt.kernel = "reference";
  pt.pass = pass;
  fa::Problem& p = pt.problem;
  p.batch = 1, p.heads = 2, p.seqlen_q = 24, p.seqlen_kv = 32, p.head_dim = 8;
  p.dtype = fa::DType::fp32;
  p.sparsity.pattern = sparsity;
  p.sparsity.density = 0.5;
  p.sparsity.block_q = p.sparsity.block_k = 8;
  return pt;
}

bool all_nan(const std::vector<double>& x) {
  for (double v : x) {
    if (!std::isnan(v)) return false;
  }
  return !x.empty();
}

bool all_finite(const std::vector<double>& x) {
  for (double v : x) {
    if (!std::isfinite(v)) return false;
  }
  return !x.empty();
}

}  // namespace

TEST_CASE("point set-up: given inputs are uploaded with poisoned outputs, and the prepared run writes them",
          "[measure]") {
  auto kernel = fa::make_reference_kernel();
  const fa::Point pt = small_point(fa::Pass::fwdbwd);
  const fa::HostInputs in = fa::make_host_inputs(pt.problem, pt.pass, 1.0, 7);
  fa::PointSetup setup(*kernel, pt, nullptr, fa::PointInputs{0, &in}, fa::PointPlace{});
  CHECK(setup.operands().download(fa::Tensor::q) == in.q);
  CHECK(setup.operands().download(fa::Tensor::dout) == in.dout);
  CHECK(all_nan(setup.operands().download(fa::Tensor::o)));
  CHECK(all_nan(setup.operands().download(fa::Tensor::dk)));
  setup.prepare().run();
  CHECK(all_finite(setup.operands().download(fa::Tensor::o)));
  CHECK(all_finite(setup.operands().download(fa::Tensor::dk)));
  CHECK_THROWS_AS(setup.prepare(), std::logic_error);  // one prepared run per set-up
  CHECK(setup.operands().bytes() == fa::operand_bytes(pt.problem, pt.pass, fa::Backend::host));
}

TEST_CASE("point set-up: random inputs follow the seed, and the block mask reaches the kernel", "[measure]") {
  auto kernel = fa::make_reference_kernel();
  const fa::Point pt = small_point(fa::Pass::fwd, "local");
  const std::unique_ptr<fa::PointSetup> a = fa::set_up_point(*kernel, pt, fa::PointInputs{1}, fa::PointPlace{});
  const std::unique_ptr<fa::PointSetup> b = fa::set_up_point(*kernel, pt, fa::PointInputs{1}, fa::PointPlace{});
  const std::unique_ptr<fa::PointSetup> c = fa::set_up_point(*kernel, pt, fa::PointInputs{2}, fa::PointPlace{});
  CHECK(a->operands().download(fa::Tensor::k) == b->operands().download(fa::Tensor::k));
  CHECK(a->operands().download(fa::Tensor::k) != c->operands().download(fa::Tensor::k));
  const std::optional<fa::BlockMask> mask = fa::ref::problem_block_mask(pt.problem);
  REQUIRE(mask);
  CHECK(a->operands().ops().block_mask != nullptr);
  CHECK(a->operands().ops().mask_blocks_k == mask->blocks_k);
  CHECK_FALSE(fa::ref::problem_block_mask(small_point(fa::Pass::fwd).problem));
  // The set-up is prepared: its run writes the outputs.
  a->run().run();
  CHECK(all_finite(a->operands().download(fa::Tensor::o)));
}

TEST_CASE("input rotation: copies in turn, the point's own first", "[measure]") {
  auto kernel = fa::make_reference_kernel();
  const fa::Point pt = small_point(fa::Pass::fwd);
  fa::InputRotation rotation(*kernel, pt, nullptr, 5, fa::PointPlace{}, 3);
  CHECK(rotation.copies() == 3);
  // The point's own run stands in as a counter; the two copies are the rotation's.
  struct Counting final : fa::PreparedRun {
    int runs = 0;
    void run() override { ++runs; }
  } counting;
  for (int i = 0; i < 7; ++i) rotation.launch(counting);
  CHECK(counting.runs == 3);  // turns 0, 3 and 6
  CHECK(fa::InputRotation(*kernel, pt, nullptr, 5, fa::PointPlace{}, 1).copies() == 1);
}

TEST_CASE("launch modes: a plain launch runs the prepared run and adds nothing to the timing mode", "[measure]") {
  struct Counting final : fa::PreparedRun {
    int runs = 0;
    void run() override { ++runs; }
  } counting;
  const std::unique_ptr<fa::InvocationLaunch> plain =
      fa::launch_for_timing(fa::TimingMode::hot, /*graph=*/true, /*cuda=*/false, counting, nullptr);
  plain->launch();
  plain->launch();
  CHECK(counting.runs == 2);
  CHECK(plain->note().empty());  // host kernels: no CUDA graph, whatever --graph says
}
