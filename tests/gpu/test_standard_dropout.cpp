// The standard family's row kernels apply exactly the shared dropout keep-mask (core/philox.hpp) on
// every row-length path: one warp per row, 2 / 4 / 8 warps per row, and the two-pass streaming
// kernel, for fp16, bf16 and fp32 (8- and 4-column vectors). With S = 0 every element of P is
// keep / (Nk (1 - p_used)), so P read back gives each keep flag directly; the backward passes that
// redraw the mask (dropped_probs, grad_from_scores with dP = 1 and delta = 0) give the same.
// test_dropout_mask.cpp checks whole passes at short rows through the kernel interface.
#include <catch2/catch.hpp>

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/cuda_check.hpp"
#include "core/dtype.hpp"
#include "core/philox.hpp"
#include "kernels/standard/row_kernels.hpp"
#include "tests/gpu/gpu_support.hpp"
#include "tests/gpu/gpu_test_util.hpp"

namespace {

namespace st = fa::standard;
using fa::DType;
using fa::testing::DeviceBuffer;

struct RowCheck {
  std::int64_t mismatches = 0;
  std::string first;
};

// Every element j < Nk of every row of `out` ([rows, ld] of dtype dt) against keep(b, h, i, j).
RowCheck check_rows(DType dt, const DeviceBuffer& out, const st::RowGeometry& g, const st::DropoutSpec& d, double p) {
  std::vector<unsigned char> host(out.bytes);
  FA_CUDA_CHECK(cudaMemcpy(host.data(), out.ptr, out.bytes, cudaMemcpyDeviceToHost));
  const double unit = 1.0 / (static_cast<double>(g.seqlen_kv) * (1.0 - fa::dropout_p_used(p)));
  RowCheck r;
  for (std::int64_t row = 0; row < g.rows; ++row) {
    const st::RowPos pos = st::decode_row(g, row);
    for (std::int32_t j = 0; j < g.seqlen_kv; ++j) {
      const double x = fa::load_element(dt, host.data(), static_cast<std::size_t>(row * g.ld + j)) / unit;
      const bool keep = fa::dropout_keep(d.seed, d.threshold, pos.b, pos.h, pos.i, static_cast<std::uint32_t>(j));
      if (std::fabs(x - (keep ? 1.0 : 0.0)) < 0.05) continue;
      if (r.mismatches++ == 0) {
        r.first = "row " + std::to_string(row) + " col " + std::to_string(j) + ": " + std::to_string(x) +
                  " units, keep " + std::to_string(keep);
      }
    }
  }
  return r;
}

void check_lengths(DType dt, std::int32_t nk, double p) {
  st::RowGeometry g;
  g.seqlen_q = 20, g.heads = 3, g.seqlen_kv = nk;  // 20 rows: both halves of a 16-row block, two blocks
  g.rows = 2 * g.heads * g.seqlen_q;
  g.ld = static_cast<std::int32_t>(st::padded_row_elements(dt, nk));
  st::DropoutSpec d;
  d.enabled = true, d.threshold = fa::dropout_threshold8(p), d.seed = 0x57d0ULL + static_cast<std::uint64_t>(nk);
  d.keep_scale = static_cast<float>(1.0 / (1.0 - fa::dropout_p_used(p)));
  const std::size_t bytes = static_cast<std::size_t>(g.rows * g.ld) * fa::dtype_bytes(dt);
  DeviceBuffer s(bytes), out(bytes), ones(bytes), lse(static_cast<std::size_t>(g.rows) * 4),
      delta(static_cast<std::size_t>(g.rows) * 4);
  FA_CUDA_CHECK(cudaMemset(s.ptr, 0, bytes));  // S = 0: every probability is 1 / Nk
  FA_CUDA_CHECK(cudaMemset(delta.ptr, 0, delta.bytes));
  std::vector<unsigned char> one(bytes);
  for (std::size_t e = 0; e < bytes / fa::dtype_bytes(dt); ++e) fa::store_element(dt, one.data(), e, 1.0);
  FA_CUDA_CHECK(cudaMemcpy(ones.ptr, one.data(), bytes, cudaMemcpyHostToDevice));

  auto lse_ptr = static_cast<float*>(lse.ptr);
  auto check = [&](const char* what) {
    FA_CUDA_CHECK(cudaDeviceSynchronize());
    const RowCheck r = check_rows(dt, out, g, d, p);
    INFO(what << " " << fa::to_string(dt) << " Nk " << nk << " p " << p << ": " << r.mismatches << " wrong; first "
              << r.first);
    CHECK(r.mismatches == 0);
  };
  st::softmax_forward(dt, s.ptr, out.ptr, lse_ptr, g, d, nullptr);
  check("softmax_forward");
  const auto delta_ptr = static_cast<const float*>(delta.ptr);
  st::softmax_backward(dt, st::GradMode::dropped_probs, s.ptr, nullptr, out.ptr, lse_ptr, delta_ptr, g, d, nullptr);
  check("dropped_probs");
  st::softmax_backward(dt, st::GradMode::grad_from_scores, s.ptr, ones.ptr, out.ptr, lse_ptr, delta_ptr, g, d, nullptr);
  check("grad_from_scores");
}

}  // namespace

TEST_CASE("standard dropout: every row-length path applies the shared keep-mask exactly", "[gpu][standard][dropout]") {
  FA_REQUIRE_GPU();
  // fp16/bf16 rows: <= 2048 one warp; up to 4096 / 8192 / 16384 two, four, eight warps; longer: the
  // streaming kernel. fp32 rows switch at 2048 and 16384. Odd lengths leave ragged last vectors.
  for (DType dt : {DType::fp16, DType::bf16})
    for (std::int32_t nk : {100, 1000, 3000, 6000, 12000, 20000}) check_lengths(dt, nk, 0.5);
  for (std::int32_t nk : {100, 1500, 2500, 20000}) check_lengths(DType::fp32, nk, 0.5);
  check_lengths(DType::fp16, 3000, 0.17);
  check_lengths(DType::fp32, 1500, 0.17);
}
