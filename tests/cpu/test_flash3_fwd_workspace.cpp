// The flash3 forward's workspace (kernels/flash3/flash3_fwd.hpp): fp8 at D = 128 holds V^T (whole groups of 32 keys
// per row) ahead of the causal tile counter, both 256-byte aligned; every other forward holds the counter alone
// (causal) or nothing.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "kernels/flash3/flash3_fwd.hpp"

namespace {

namespace f3 = fa::flash3;

f3::Flash3Params point(fa::DType dtype, int d, int keys, bool causal) {
  f3::Flash3Params p;
  p.dtype = dtype, p.head_dim = d, p.seqlen_kv = keys, p.causal = causal;
  p.batch = 2, p.heads = 8, p.kv_group = 4;  // 2 K/V heads
  return p;
}

}  // namespace

TEST_CASE("flash3 forward workspace: V^T rows of whole 32-key groups", "[flash3]") {
  CHECK(f3::vt_keys(1) == 32);
  CHECK(f3::vt_keys(32) == 32);
  CHECK(f3::vt_keys(33) == 64);
  CHECK(f3::vt_keys(4097) == 4128);
}

TEST_CASE("flash3 forward workspace: fp8 D 128 holds V^T, then the causal counter", "[flash3]") {
  std::vector<unsigned char> ws(1 << 20);
  for (bool causal : {false, true}) {
    f3::Flash3Params p = point(fa::DType::fp8, 128, 1000, causal);
    const std::size_t vt = 2 * 2 * 128 * 1024;  // batch x K/V heads x D x vt_keys(1000)
    REQUIRE(f3::vt_bytes(p) == vt);
    REQUIRE(f3::fwd_workspace_bytes(p) == vt + (causal ? 256 : 0));
    f3::bind_fwd_workspace(p, ws.data());
    CHECK(p.vt == ws.data());
    CHECK(p.tile_counter == (causal ? reinterpret_cast<int*>(ws.data() + vt) : nullptr));
  }
}

TEST_CASE("flash3 forward workspace: other forwards hold the causal counter alone", "[flash3]") {
  std::vector<unsigned char> ws(256);
  for (auto [dtype, d] : {std::pair{fa::DType::fp8, 64}, {fa::DType::fp8, 256}, {fa::DType::bf16, 128}}) {
    for (bool causal : {false, true}) {
      f3::Flash3Params p = point(dtype, d, 1000, causal);
      CHECK(f3::vt_bytes(p) == 0);
      CHECK(f3::fwd_workspace_bytes(p) == (causal ? 256u : 0u));
      f3::bind_fwd_workspace(p, ws.data());
      CHECK(p.vt == nullptr);
      CHECK(p.tile_counter == (causal ? reinterpret_cast<int*>(ws.data()) : nullptr));
    }
  }
}
