// block_sparse on flash3's forward and backward (sm_90) against the float64 reference, which applies the same
// block mask element by element: local / random / butterfly masks, head dims 64 (192-row forward tiles over
// 128-row mask blocks) and 128, causal both, fwd, bwd and fwdbwd; rows that see no key (causal with Nq > Nk);
// an all-kept mask (the lists equal the dense loops). Every point also checks which kernels ran: flash3 where
// flash3 supports the point on this GPU, flash elsewhere and with FA_BLOCK_SPARSE_FLASH3=0. flash3's block-mask
// instances exist for D 64/128, fp16/bf16, no dropout only: the other points run flash, the row's note says why.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "core/kernel.hpp"
#include "kernels/registry.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace {

using fa::DType;
using fa::Pass;
using fa::testing::Shape;

fa::testing::SeedSequence data_seeds{7300};

// Whether this GPU runs flash3 (built, and an sm_90 device).
bool flash3_here() {
  const auto k = fa::make_kernel("flash3");
  return k != nullptr && k->supports(fa::Problem{}, Pass::fwd).ok;
}

fa::Point sparse_point(Pass pass, const std::string& pattern, double density, Shape s, DType dt, bool causal) {
  fa::Point pt = fa::testing::attention_point("block_sparse", pass, dt, s, causal, 0.0, fa::Layout::bhnd,
                                              fa::testing::shape_seed(0xb10c3000ULL, s));
  pt.problem.sparsity.pattern = pattern;
  pt.problem.sparsity.density = density;
  return pt;
}

// The point verifies, and its row's note names the kernels that ran: `flash3` or flash's.
void check_on(fa::AttentionKernel& k, const fa::Point& pt, bool want_flash3) {
  const std::string note = k.point_note(pt.problem, pt.pass);
  INFO(fa::point_label(pt) << " " << pt.problem.sparsity.pattern << " density " << pt.problem.sparsity.density
                           << " Nq" << pt.problem.seqlen_q << " Nk" << pt.problem.seqlen_kv << ": " << note);
  if (want_flash3) {
    CHECK(note == "block_sparse ran flash3");
  } else {
    CHECK(note.rfind("block_sparse ran flash (", 0) == 0);
  }
  fa::testing::check_labelled_point(k, pt, data_seeds.next());
}

void check_point(fa::AttentionKernel& k, const fa::Point& pt) { check_on(k, pt, flash3_here()); }

// A point flash3's block-mask instances do not cover runs flash's kernels, and (where flash3 runs at all) the
// row's note gives flash3's reason.
void check_flash_because(fa::AttentionKernel& k, const fa::Point& pt, const std::string& reason) {
  if (flash3_here()) CHECK(k.point_note(pt.problem, pt.pass) == "block_sparse ran flash (" + reason + ")");
  check_on(k, pt, false);
}

// FA_BLOCK_SPARSE_FLASH3 for one scope.
class Flash3Switch {
 public:
  explicit Flash3Switch(const char* value) { ::setenv("FA_BLOCK_SPARSE_FLASH3", value, 1); }
  ~Flash3Switch() { ::unsetenv("FA_BLOCK_SPARSE_FLASH3"); }
  Flash3Switch(const Flash3Switch&) = delete;
  Flash3Switch& operator=(const Flash3Switch&) = delete;
};

struct Pattern {
  const char* name;
  double density;
};
constexpr Pattern kPatterns[] = {{"local", 0.25}, {"random", 0.25}, {"butterfly", 0.25}};

// Every pattern x D 64/128 x causal both at one pass; lengths with a ragged last block, then whole blocks.
void patterns_at(fa::AttentionKernel& k, Pass pass) {
  int i = 0;
  for (const Pattern& pat : kPatterns)
    for (std::int64_t d : {64, 128})
      for (bool causal : {false, true}) {
        const DType dt = i++ % 2 == 0 ? DType::bf16 : DType::fp16;
        check_point(k, sparse_point(pass, pat.name, pat.density, Shape{1, 2, 1000, 1000, d}, dt, causal));
        check_point(k, sparse_point(pass, pat.name, pat.density, Shape{2, 2, 2048, 2048, d}, dt, causal));
      }
}

// Causal with Nq > Nk: the first Nq - Nk rows see no key (O = 0, lse = -inf, dQ = 0); at D = 64 one 192-row tile
// holds warpgroups with and without visible keys. Nq < Nk shifts the diagonal the other way. Causal 256-row mask
// blocks keeping one block per row (random's floor): the first 128 rows of a mask row may see none of its kept
// blocks, a forward tile whose whole range the mask drops (its list holds one block for no warpgroup).
void edge_rows(fa::AttentionKernel& k, Pass pass) {
  for (std::int64_t d : {64, 128}) {
    check_point(k, sparse_point(pass, "random", 0.5, Shape{1, 2, 1000, 300, d}, DType::bf16, true));
    check_point(k, sparse_point(pass, "local", 0.3, Shape{1, 2, 300, 1000, d}, DType::fp16, true));
    auto tall = sparse_point(pass, "random", 0.1, Shape{1, 2, 1024, 1024, d}, DType::bf16, true);
    tall.problem.sparsity.block_q = 256;
    check_point(k, tall);
  }
}

}  // namespace

TEST_CASE("block_sparse flash3 fwd: local, random, butterfly x D 64/128 x causal", "[gpu][block_sparse]") {
  FA_REQUIRE_GPU();
  auto k = fa::testing::require_kernel("block_sparse");
  patterns_at(*k, Pass::fwd);
  edge_rows(*k, Pass::fwd);
}

TEST_CASE("block_sparse flash3 bwd and fwdbwd: local, random, butterfly x D 64/128 x causal", "[gpu][block_sparse]") {
  FA_REQUIRE_GPU();
  auto k = fa::testing::require_kernel("block_sparse");
  patterns_at(*k, Pass::bwd);
  edge_rows(*k, Pass::bwd);
  for (bool causal : {false, true})
    check_point(*k, sparse_point(Pass::fwdbwd, "random", 0.25, Shape{1, 2, 1000, 1000, 128}, DType::bf16, causal));
}

TEST_CASE("block_sparse flash3: an all-kept mask, and flash for dropout and D 96/256", "[gpu][block_sparse]") {
  FA_REQUIRE_GPU();
  auto k = fa::testing::require_kernel("block_sparse");
  for (Pass pass : {Pass::fwd, Pass::fwdbwd})
    for (bool causal : {false, true})
      check_point(*k, sparse_point(pass, "random", 1.0, Shape{1, 2, 1000, 1000, 128}, DType::bf16, causal));
  auto drop = sparse_point(Pass::fwdbwd, "random", 0.25, Shape{1, 2, 1000, 1000, 128}, DType::fp16, true);
  drop.problem.dropout = 0.17;
  check_flash_because(*k, drop, "flash3 block mask: no dropout");
  const std::string head_dims = "flash3 block mask: head dims 64 and 128 only";
  check_flash_because(*k, sparse_point(Pass::fwdbwd, "random", 0.25, Shape{1, 2, 1000, 1000, 96}, DType::fp16, true),
                      head_dims);
  check_flash_because(*k, sparse_point(Pass::fwd, "butterfly", 0.25, Shape{1, 2, 1000, 1000, 256}, DType::bf16, true),
                      head_dims);
}

TEST_CASE("block_sparse: flash where flash3 does not take the point", "[gpu][block_sparse]") {
  FA_REQUIRE_GPU();
  auto k = fa::testing::require_kernel("block_sparse");
  // Mask blocks of 256 x 64: flash3 takes 128 x 128 multiples only, flash's forward tile (128 x 64) divides them,
  // its backward's at D 64 (64 x 128) does not: the forward runs flash, a pass with the backward is refused.
  auto rect = sparse_point(Pass::fwd, "local", 0.3, Shape{1, 2, 1000, 1000, 64}, DType::fp16, false);
  rect.problem.sparsity.block_q = 256;
  rect.problem.sparsity.block_k = 64;
  check_flash_because(*k, rect, "flash3 block mask: blocks must be multiples of 128 x 128 (got 256x64)");
  for (Pass pass : {Pass::bwd, Pass::fwdbwd}) {
    const fa::Support s = k->supports(rect.problem, pass);
    CHECK_FALSE(s.ok);
    CHECK_THAT(s.reason, Catch::Contains("mask blocks must be multiples of 64 (queries) x 128 (keys)"));
  }
  // D = 256 has no flash3 backward; D = 32 no flash3 at all.
  check_on(*k, sparse_point(Pass::bwd, "random", 0.25, Shape{1, 2, 600, 600, 256}, DType::bf16, false), false);
  check_on(*k, sparse_point(Pass::fwd, "random", 0.25, Shape{1, 2, 600, 600, 32}, DType::bf16, true), false);
  {
    const Flash3Switch off("0");
    check_on(*k, sparse_point(Pass::fwdbwd, "random", 0.25, Shape{1, 2, 1000, 1000, 128}, DType::bf16, true), false);
  }
  {
    const Flash3Switch bad("maybe");
    const fa::Support s = k->supports(sparse_point(Pass::fwd, "local", 0.3, Shape{}, DType::bf16, false).problem,
                                      Pass::fwd);
    CHECK_FALSE(s.ok);
    CHECK(s.reason == "FA_BLOCK_SPARSE_FLASH3=maybe: accepted values are 1, on, 0, off");
  }
}

// Small points for compute-sanitizer (memcheck, racecheck, synccheck); hidden from normal runs.
TEST_CASE("block_sparse flash3: sanitizer points", "[.block_sparse_flash3_sanitize]") {
  FA_REQUIRE_GPU();
  REQUIRE(flash3_here());
  auto k = fa::testing::require_kernel("block_sparse");
  for (Pass pass : {Pass::fwd, Pass::fwdbwd}) {
    check_point(*k, sparse_point(pass, "random", 0.5, Shape{1, 2, 300, 300, 64}, DType::bf16, false));
    check_point(*k, sparse_point(pass, "local", 0.5, Shape{1, 1, 400, 200, 64}, DType::fp16, true));
    check_point(*k, sparse_point(pass, "butterfly", 0.5, Shape{1, 1, 384, 384, 128}, DType::bf16, true));
    auto tall = sparse_point(pass, "random", 0.1, Shape{1, 1, 512, 512, 128}, DType::bf16, true);
    tall.problem.sparsity.block_q = 256;  // tiles the mask drops whole (edge_rows)
    check_point(*k, tall);
  }
}
