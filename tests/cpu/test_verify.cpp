// measure/verify: the correctness check itself must catch wrong and unwritten outputs, and its
// large-problem modes (head 0,0 only; last query rows only) must compare the right elements.
#include <catch2/catch.hpp>
#include <cmath>
#include <limits>

#include "kernels/reference/reference_kernel.hpp"
#include "measure/verify.hpp"

namespace {

// The reference kernel with one output element damaged after each run.
class DamagedReference final : public fa::AttentionKernel {
 public:
  enum class Damage { none, shift_last_o, nan_last_dq, shift_last_dk };
  explicit DamagedReference(Damage d) : damage_(d), inner_(fa::make_reference_kernel()) {}
  std::string_view name() const override { return "damaged"; }
  std::string_view summary() const override { return "test double"; }
  fa::Backend backend() const override { return fa::Backend::host; }
  fa::Support supports(const fa::Problem& p, fa::Pass pass) const override { return inner_->supports(p, pass); }
  std::size_t workspace_bytes(const fa::Problem&, fa::Pass) const override { return 0; }
  std::unique_ptr<fa::PreparedRun> prepare(const fa::Problem& p, fa::Pass pass, const fa::Operands& ops,
                                           const fa::ExecContext& ctx) override {
    struct Run final : fa::PreparedRun {
      std::unique_ptr<fa::PreparedRun> inner;
      Damage damage;
      fa::Operands ops;
      fa::Problem p;
      void run() override {
        inner->run();
        // Last element of head (0, 0)'s last query row.
        const std::int64_t last = (p.seqlen_q - 1) * ops.o.stride_n + p.head_dim - 1;
        if (damage == Damage::shift_last_o) static_cast<double*>(ops.o.data)[last] += 1.0;
        if (damage == Damage::nan_last_dq) static_cast<double*>(ops.dq.data)[last] = std::nan("");
        // Last element of K/V head (0, 0)'s last key row.
        const std::int64_t last_k = (p.seqlen_kv - 1) * ops.k.stride_n + p.head_dim - 1;
        if (damage == Damage::shift_last_dk) static_cast<double*>(ops.dk.data)[last_k] += 1.0;
      }
    };
    auto r = std::make_unique<Run>();
    r->inner = inner_->prepare(p, pass, ops, ctx);
    r->damage = damage_;
    r->ops = ops;
    r->p = p;
    return r;
  }

 private:
  Damage damage_;
  std::unique_ptr<fa::AttentionKernel> inner_;
};

fa::Point point(fa::Pass pass, bool causal, double dropout = 0.0) {
  fa::Point pt;
  pt.kernel = "damaged";
  pt.pass = pass;
  pt.problem.batch = 2;
  pt.problem.heads = 2;
  pt.problem.seqlen_q = 300;
  pt.problem.seqlen_kv = 200;
  pt.problem.head_dim = 16;
  pt.problem.dtype = fa::DType::fp32;
  pt.problem.causal = causal;
  pt.problem.dropout = dropout;
  return pt;
}

}  // namespace

TEST_CASE("verify passes an exact kernel in every mode and names the mode", "[verify]") {
  DamagedReference exact(DamagedReference::Damage::none);
  fa::VerifyOptions whole;
  auto r = fa::verify_point(exact, point(fa::Pass::bwd, true), whole);
  CHECK(r.ok);
  CHECK_FALSE(r.skipped);
  CHECK(r.max_rel_error < 1e-12);
  CHECK(r.errors.count("dk") == 1);

  fa::VerifyOptions rows;
  rows.max_reference_work = 3e5;  // below one head (300*200*16), above 64 rows (64*200*16)
  rows.sub_rows = 64;
  r = fa::verify_point(exact, point(fa::Pass::bwd, true), rows);
  INFO(r.note);
  CHECK(r.ok);
  CHECK(r.note.find("last 64 query rows") != std::string::npos);
  CHECK(r.max_rel_error < 1e-12);  // bottom-right causal: the last rows are an exact sub-problem
  CHECK(r.errors.count("dq") == 1);
  CHECK(r.errors.count("dk") == 0);

  // Dropout keys the mask on the row index: no subsampling, the check says it was skipped.
  r = fa::verify_point(exact, point(fa::Pass::fwd, false, 0.1), rows);
  CHECK(r.skipped);
  CHECK(r.note.find("skipped") == 0);
}

TEST_CASE("verify fails a wrong element and an unwritten element, also when subsampling", "[verify]") {
  DamagedReference shifted(DamagedReference::Damage::shift_last_o);
  DamagedReference unwritten(DamagedReference::Damage::nan_last_dq);
  fa::VerifyOptions rows;
  rows.max_reference_work = 3e5;
  rows.sub_rows = 64;
  for (const fa::VerifyOptions& opt : {fa::VerifyOptions{}, rows}) {
    auto r = fa::verify_point(shifted, point(fa::Pass::fwd, false), opt);
    INFO(r.note);
    CHECK_FALSE(r.ok);
    CHECK(r.errors.at("o") > r.tolerance);
    r = fa::verify_point(unwritten, point(fa::Pass::bwd, true), opt);
    INFO(r.note);
    CHECK_FALSE(r.ok);
    CHECK(r.unwritten >= 1);
  }
}

TEST_CASE("output error: relative L2, and the root mean square where the reference is all zero", "[verify]") {
  const std::vector<double> ref{1.0, -2.0, 2.0};
  CHECK(fa::output_error({1.0, -2.0, 2.0}, ref).rel == 0.0);
  CHECK(fa::output_error({1.3, -2.0, 2.4}, ref).rel == Approx(0.5 / 3.0));
  // dQ of one key: the reference is exactly zero, the kernel's values are rounding noise, judged per element.
  const std::vector<double> zeros(4, 0.0);
  CHECK(fa::output_error({2e-4, -2e-4, 2e-4, -2e-4}, zeros).rel == Approx(2e-4));
  CHECK(fa::output_error({0.3, -0.3, 0.3, -0.3}, zeros).rel == Approx(0.3));  // a dS that did not cancel
  // Non-finite outputs are counted, whatever the norm; so is a mismatched infinity.
  const double inf = std::numeric_limits<double>::infinity();
  CHECK(fa::output_error({NAN, 0.0}, {1.0, 0.0}).bad == 1);
  CHECK(fa::output_error({0.0, 1.0}, {-inf, 1.0}).bad == 1);
  CHECK(fa::output_error({-inf, 1.0}, {-inf, 1.0}).bad == 0);
}

TEST_CASE("verify checks grouped K/V heads: whole, K/V head 0's group, or head 0,0 alone", "[verify][gqa]") {
  DamagedReference exact(DamagedReference::Damage::none);
  DamagedReference bad_dk(DamagedReference::Damage::shift_last_dk);
  fa::Point pt = point(fa::Pass::bwd, true);
  pt.problem.heads = 4;
  pt.problem.kv_heads = 2;  // groups of 2 query heads
  const double head_work = 300.0 * 200.0 * 16.0;

  fa::VerifyOptions whole;
  auto r = fa::verify_point(exact, pt, whole);
  CHECK(r.ok);
  CHECK(r.note.rfind("pass: ", 0) == 0);
  CHECK(r.max_rel_error < 1e-12);
  CHECK_FALSE(fa::verify_point(bad_dk, pt, whole).ok);

  fa::VerifyOptions group;  // K/V head 0's group of 2 query heads fits, the whole problem does not
  group.max_reference_work = 2.5 * head_work;
  r = fa::verify_point(exact, pt, group);
  INFO(r.note);
  CHECK(r.ok);
  CHECK(r.note.find("heads 0-1 of batch 0 only") != std::string::npos);
  CHECK(r.errors.count("dk") == 1);
  CHECK(r.max_rel_error < 1e-12);  // dK summed over both query heads, as the kernel did
  r = fa::verify_point(bad_dk, pt, group);
  CHECK_FALSE(r.ok);
  CHECK(r.errors.at("dk") > r.tolerance);

  fa::VerifyOptions head;  // one head fits, its group does not: dK/dV (group sums) not checked
  head.max_reference_work = 1.5 * head_work;
  r = fa::verify_point(exact, pt, head);
  INFO(r.note);
  CHECK(r.ok);
  CHECK(r.note.find("dk/dv, sums over its group, not checked") != std::string::npos);
  CHECK(r.errors.count("dk") == 0);
  CHECK(r.errors.count("dq") == 1);
  CHECK(r.max_rel_error < 1e-12);
}
