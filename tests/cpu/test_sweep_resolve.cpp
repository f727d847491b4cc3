// sweep/resolve.hpp, shared by fa-bench and fa-bench-gbench: which sweep and which kernels the
// user's choices mean on this machine, and the expansion with each family's sparsity rule; with the
// memory estimate of a point (measure/point_estimate.hpp) that --dry-run prints.
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "core/errors.hpp"
#include "kernels/registry.hpp"
#include "measure/point_estimate.hpp"
#include "measure/point_runner.hpp"
#include "sweep/resolve.hpp"

namespace {

fa::SweepFlags flags_with(std::vector<std::pair<std::string, std::string>> axes) {
  fa::SweepFlags f;
  for (auto& [axis, value] : axes) f.axis_values[axis] = value;
  return f;
}

}  // namespace

TEST_CASE("resolve: no choices and no GPU run the cpu-default sweep on the reference", "[sweep]") {
  std::string note;
  const fa::SweepSpec spec = fa::resolve_sweep(fa::SweepFlags{}, /*have_gpu=*/false, &note);
  CHECK(spec.kernels == std::vector<std::string>{"reference"});
  CHECK_THAT(note, Catch::Contains("cpu-default"));
  CHECK(fa::expand_for_catalog(spec).points.size() == 24);
}

TEST_CASE("resolve: flags reach every part of a sweep with parts (llm-shapes)", "[sweep]") {
  fa::SweepFlags f = flags_with({{"kernel", "flash"}, {"causal", "1"}});
  f.sweep_name = "llm-shapes";
  const fa::SweepSpec spec = fa::resolve_sweep(f, /*have_gpu=*/true, nullptr);
  REQUIRE(spec.parts.size() == 2);
  const auto e = fa::expand_for_catalog(spec);
  REQUIRE(!e.points.empty());
  bool decode = false, training = false;
  for (const auto& p : e.points) {
    CHECK(p.kernel == "flash");
    CHECK(p.problem.causal);
    (p.problem.seqlen_q <= 4 ? decode : training) = true;
  }
  CHECK((decode && training));
}

TEST_CASE("resolve: the catalogue's families are the kernels a sweep may name", "[sweep]") {
  const fa::SweepSpec spec = fa::resolve_sweep(flags_with({{"kernel", "all"}}), false, nullptr);
  CHECK(spec.kernels == fa::kernel_catalog().names());
  CHECK_THROWS_AS(fa::resolve_sweep(flags_with({{"kernel", "nosuchfamily"}}), false, nullptr), fa::UsageError);
}

TEST_CASE("resolve: a named kernel stays even where it cannot run, a built-in sweep keeps what runs here",
          "[sweep]") {
  // Asked for by name: kept (its points then say why they cannot run).
  CHECK(fa::resolve_sweep(flags_with({{"kernel", "flash"}}), false, nullptr).kernels ==
        std::vector<std::string>{"flash"});
  // The built-in default names the GPU families; with a GPU, those available in this build remain
  // (all of them when none is: the points then say why).
  fa::SweepFlags named;
  named.sweep_name = "default";
  const fa::SweepSpec spec = fa::resolve_sweep(named, /*have_gpu=*/true, nullptr);
  const std::vector<std::string> listed = {"flash", "flash3", "standard", "block_sparse", "cudnn"};
  for (const std::string& k : spec.kernels) CHECK(std::find(listed.begin(), listed.end(), k) != listed.end());
  for (const std::string& k : spec.kernels) {
    const fa::KernelEntry* e = fa::find_kernel_entry(k);
    REQUIRE(e);
    if (spec.kernels.size() < listed.size()) CHECK(e->state == fa::KernelState::available);
  }
}

TEST_CASE("resolve: the sparsity axis goes to the families whose face takes a block mask", "[sweep]") {
  const fa::SweepSpec spec = fa::resolve_sweep(
      flags_with({{"kernel", "reference,flash,block_sparse"}, {"sparsity", "dense,local"}, {"density", "0.25,0.5"}}),
      false, nullptr);
  const fa::Expansion e = fa::expand_for_catalog(spec);
  int reference = 0, flash = 0, block_sparse = 0;
  for (const fa::Point& pt : e.points) {
    reference += pt.kernel == "reference";
    flash += pt.kernel == "flash";
    block_sparse += pt.kernel == "block_sparse";
    if (pt.kernel == "flash") CHECK(pt.problem.sparsity.is_dense());
  }
  CHECK(reference == 3);  // dense + local at two densities
  CHECK(block_sparse == 3);
  CHECK(flash == 1);
}

TEST_CASE("point estimate: operands, plus the workspace of a kernel built here", "[sweep]") {
  fa::Point pt;
  pt.kernel = "reference";
  pt.pass = fa::Pass::fwdbwd;
  CHECK(fa::estimated_point_bytes(pt) == fa::operand_bytes(pt.problem, pt.pass, fa::Backend::host));
  pt.kernel = "nosuchfamily";  // unknown: operands in a GPU's element size, nothing else
  CHECK(fa::estimated_point_bytes(pt) == fa::operand_bytes(pt.problem, pt.pass, fa::Backend::cuda));
}
