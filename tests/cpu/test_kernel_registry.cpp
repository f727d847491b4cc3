// The family registration path: the catalogue is exactly the FA_KERNEL_FAMILIES list of
// kernels/CMakeLists.txt, each entry built from its folder's face; and a test-only family registered
// the way the generated registration (family_list.cpp) registers a real one joins a catalogue with
// its factory, library versions, run-time condition and IO model.
#include <catch2/catch.hpp>

#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/kernel.hpp"
#include "kernels/cuda_arch.hpp"
#include "kernels/point_kernels.hpp"
#include "kernels/reference/reference_family.hpp"
#include "kernels/registry.hpp"
#include "measure/io_model.hpp"
#include "reports/metadata.hpp"

namespace {

std::vector<std::string> registered_list() {
  std::vector<std::string> names;
  std::stringstream in(FA_TEST_KERNEL_FAMILIES);
  for (std::string name; std::getline(in, name, ',');) names.push_back(name);
  return names;
}

fa::Point point_of(const std::string& kernel) {
  fa::Point pt;
  pt.kernel = kernel;
  pt.problem.batch = 1, pt.problem.heads = 2, pt.problem.seqlen_q = pt.problem.seqlen_kv = 128;
  pt.problem.head_dim = 64;
  return pt;
}

// ---- a family that exists only in this test: the three things a folder under kernels/ supplies ----

class TestOnlyKernel final : public fa::AttentionKernel {
 public:
  std::string_view name() const override { return "testonly"; }
  std::string_view summary() const override { return "test double"; }
  fa::Backend backend() const override { return fa::Backend::cuda; }
  fa::Support supports(const fa::Problem& p, fa::Pass) const override {
    return p.head_dim == 64 ? fa::Support::yes() : fa::Support::no("testonly: head dim 64 only");
  }
  std::size_t workspace_bytes(const fa::Problem&, fa::Pass) const override { return 0; }
  std::unique_ptr<fa::PreparedRun> prepare(const fa::Problem&, fa::Pass, const fa::Operands&,
                                           const fa::ExecContext&) override {
    throw std::logic_error("testonly never runs");
  }
};

fa::IoListing testonly_io(const fa::Point& pt, const fa::IoContext&, fa::IoLedger& ledger) {
  ledger.launch("copy");
  ledger.read("Q", 1000);
  ledger.write("O", 1000);
  fa::IoListing r;
  r.modelled = pt.pass == fa::Pass::fwd;
  return r;
}

fa::KernelFamily testonly_family() {
  return {.name = "testonly",
          .summary = "a family registered by the test only",
          .backend = fa::Backend::cuda,
          .uses_block_mask = false,
          .io_model = &testonly_io};
}

fa::FamilyBuild testonly_build() {
  return {.factory = [] { return std::unique_ptr<fa::AttentionKernel>(std::make_unique<TestOnlyKernel>()); },
          .library_versions = [] { return std::vector<fa::LibraryVersion>{{"testlib_version", "1.2.3"}}; },
          .usable_on = [](int device) {
            return device == 0 ? fa::Support::yes() : fa::Support::no("testonly: needs device 0 (a stand-in for sm_90)");
          }};
}

fa::KernelFamily ghost_family() {
  return {.name = "ghost", .summary = "a family whose dependency is missing", .backend = fa::Backend::cuda};
}

// What family_list.cpp holds, for reference + testonly + ghost.
fa::KernelCatalog test_catalog() {
  return fa::KernelCatalog({
      fa::built_family("reference", fa::reference_family(), fa::reference_build()),
      fa::built_family("testonly", testonly_family(), testonly_build()),
      fa::unbuilt_family("ghost", ghost_family(), fa::KernelState::planned, "libghost not found"),
  });
}

}  // namespace

TEST_CASE("registry: the catalogue is the FA_KERNEL_FAMILIES list, in its order", "[registry]") {
  const fa::KernelCatalog& catalog = fa::kernel_catalog();
  CHECK(catalog.names() == registered_list());
  for (const fa::KernelEntry& e : catalog) {
    INFO(std::string(e.name));
    CHECK_FALSE(e.summary.empty());
    if (e.state == fa::KernelState::available) {
      CHECK(e.reason.empty());
      const std::unique_ptr<fa::AttentionKernel> k = fa::make_kernel(e.name);
      REQUIRE(k);
      CHECK(k->name() == e.name);  // the kernel calls itself what its face does
      CHECK(k->backend() == e.backend);
    } else {
      CHECK_THAT(e.reason, Catch::StartsWith("not built: "));
      CHECK_FALSE(fa::make_kernel(e.name));
    }
  }
  // The reference is host code: in every build.
  REQUIRE(catalog.find("reference"));
  CHECK(catalog.find("reference")->state == fa::KernelState::available);
}

TEST_CASE("registry: a family registered like the generated registration joins the catalogue", "[registry]") {
  const fa::KernelCatalog catalog = test_catalog();
  CHECK(catalog.names() == std::vector<std::string>{"reference", "testonly", "ghost"});

  const fa::KernelEntry* t = catalog.find("testonly");
  REQUIRE(t);
  CHECK(t->state == fa::KernelState::available);
  CHECK(t->summary == "a family registered by the test only");
  const std::unique_ptr<fa::AttentionKernel> k = catalog.make("testonly");
  REQUIRE(k);
  CHECK(k->name() == "testonly");

  const fa::KernelEntry* g = catalog.find("ghost");
  REQUIRE(g);
  CHECK(g->state == fa::KernelState::planned);
  CHECK(g->reason == "not built: libghost not found");
  CHECK_FALSE(catalog.make("ghost"));
  CHECK_FALSE(catalog.find("nothing"));

  SECTION("library versions of the built families go to the run metadata") {
    const std::vector<fa::LibraryVersion> v = fa::loaded_library_versions(catalog);
    REQUIRE(v.size() == 1);
    fa::RunMetadata m;
    for (const fa::LibraryVersion& lib : v) fa::set_metadata_field(m, lib.key, lib.version);
    CHECK(m.extra.at("testlib_version") == "1.2.3");  // a key without a field of its own
    fa::set_metadata_field(m, "cudnn_version", "9.14.0");
    CHECK(m.cudnn_version == "9.14.0");
  }
  SECTION("its face's IO model is what the model is given") {
    std::vector<fa::IoTerm> terms;
    fa::IoLedger ledger(&terms);
    const fa::IoListing r = t->io_model(point_of("testonly"), fa::IoContext{}, ledger);
    CHECK(r.modelled);
    CHECK(terms.size() == 2);
  }
}

TEST_CASE("registry: what a point of each family gets on this machine", "[registry]") {
  const fa::KernelCatalog catalog = test_catalog();
  // A GPU present (as far as the catalogue is concerned): the run-time condition decides.
  fa::PointKernel pk = fa::describe_point_kernel(catalog, point_of("testonly"), true, 0);
  CHECK(pk.runnable);
  CHECK(pk.state == "ready");
  pk = fa::describe_point_kernel(catalog, point_of("testonly"), true, 1);
  CHECK_FALSE(pk.runnable);
  CHECK(pk.state == "unavailable");
  CHECK(pk.reason == "testonly: needs device 0 (a stand-in for sm_90)");
  fa::Point d128 = point_of("testonly");
  d128.problem.head_dim = 128;
  pk = fa::describe_point_kernel(catalog, d128, true, 0);
  CHECK(pk.state == "unsupported");
  CHECK(pk.reason == "testonly: head dim 64 only");
  // No GPU: a CUDA family cannot run, whatever else holds.
  pk = fa::describe_point_kernel(catalog, point_of("testonly"), false, 0);
  CHECK(pk.state == "no-gpu");
  pk = fa::describe_point_kernel(catalog, point_of("ghost"), true, 0);
  CHECK(pk.state == "planned");
  CHECK(pk.reason == "not built: libghost not found");
  pk = fa::describe_point_kernel(catalog, point_of("nothing"), true, 0);
  CHECK(pk.state == "unknown");
  CHECK(fa::describe_point_kernel(catalog, point_of("reference"), false, 0).runnable);
  // Grouped K/V heads: refused, with the reason, for a family whose face does not claim them, even
  // though its own supports() would take the point; run by one that does.
  fa::Point gqa = point_of("testonly");
  gqa.problem.kv_heads = 1;
  pk = fa::describe_point_kernel(catalog, gqa, true, 0);
  CHECK(pk.state == "unsupported");
  CHECK(pk.reason == "testonly: grouped K/V heads (kv_heads 1 != heads 2) not implemented");
  gqa.kernel = "reference";
  CHECK(fa::describe_point_kernel(catalog, gqa, false, 0).runnable);
  gqa.problem.kv_heads = 3;  // a problem no sweep makes (read from a file, built by hand)
  pk = fa::describe_point_kernel(catalog, gqa, false, 0);
  CHECK(pk.state == "unsupported");
  CHECK(pk.reason == "kv_heads 3 does not divide heads 2");
}

TEST_CASE("registry: registration refuses what the generated list could get wrong", "[registry]") {
  // A face whose name is not its folder's (the name a sweep, a row and the IO model look it up by).
  CHECK_THROWS_WITH(fa::built_family("other", testonly_family(), testonly_build()),
                    Catch::Contains("registered as 'other' calls itself 'testonly'"));
  CHECK_THROWS_AS(fa::built_family("testonly", testonly_family(), fa::FamilyBuild{}), std::logic_error);
  CHECK_THROWS_AS(fa::KernelCatalog({fa::built_family("testonly", testonly_family(), testonly_build()),
                                     fa::built_family("testonly", testonly_family(), testonly_build())}),
                  std::logic_error);
}

TEST_CASE("kernel pool: one instance per family, none for a family not built", "[registry]") {
  const fa::KernelCatalog catalog = test_catalog();
  fa::KernelPool pool(catalog);
  fa::AttentionKernel* a = pool.get("testonly");
  REQUIRE(a);
  CHECK(pool.get("testonly") == a);
  CHECK(pool.get("ghost") == nullptr);
  CHECK(pool.get("nothing") == nullptr);
}

TEST_CASE("io model: every family is reached through its face, by name", "[registry][io_model]") {
  // measure/ names no family: what it knows of one is the face's io_model.
  for (const fa::KernelEntry& e : fa::kernel_catalog()) {
    INFO(std::string(e.name));
    const fa::IoPrediction r = fa::predict_io(point_of(std::string(e.name)), e.name, fa::IoModelParams{});
    CHECK(r.modelled == (e.io_model != nullptr));
    if (!r.modelled) CHECK_THAT(r.note, Catch::Contains(std::string(e.name)));
  }
}

TEST_CASE("require_compute_capability names the family, what it needs and what the device is", "[registry]") {
  // No device is sm_10: refused on every machine, with or without a GPU (or CUDA).
  const fa::Support s = fa::require_compute_capability("testonly", 0, 1, 0);
  CHECK_FALSE(s.ok);
  CHECK_THAT(s.reason, Catch::StartsWith("testonly needs an sm_10 GPU; "));
}
