#pragma once
// Shared by the reports tests: a fixed set of rows covering every cell kind the writers handle
// (several kernels and problem families, oom, unsupported with a comma and quotes in the reason,
// error with a pipe and a line break, optional columns empty and filled, a failed check), fixed
// metadata (no machine-specific data: the golden files must be the same everywhere), field-by-field
// row comparison and a scratch directory.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "reports/metadata.hpp"

namespace fa::test {

inline RunMetadata fixture_metadata() {
  return RunMetadata{
      .tool_version = "0.1.0",
      .git_commit = "0123456789abcdef0123456789abcdef01234567",
      .build_type = "Release",
      .compiler = "GNU 12.2.0, NVIDIA 13.0.48",
      .cuda_architectures = "90a;80",
      .command_line = "fa-bench run --kernels standard,flash,cudnn --seqlen 512,1024,8192 --out results",
      .date_utc = "2025-01-02T03:04:05Z",
      .host = "bench-host",
      .device = "NVIDIA H100 80GB HBM3",
      .device_count = "1",
      .driver_version = "580.65.06",
      .cuda_runtime_version = "13.0",
      .cudnn_version = "9.12.0",
      .nccl_version = "2.28.9",
      .timing_mode = "cold",
      .notes = "clocks locked | 1980 MHz",
      .resumed_from = "",
      .extra = {},
  };
}

inline Row make_row(const std::string& kernel, Pass pass, std::int64_t batch, std::int64_t heads, std::int64_t nq,
                    std::int64_t nk, std::int64_t head_dim, DType dtype) {
  Row r;
  r.point.kernel = kernel;
  r.point.pass = pass;
  Problem& p = r.point.problem;
  p.batch = batch;
  p.heads = heads;
  p.seqlen_q = nq;
  p.seqlen_kv = nk;
  p.head_dim = head_dim;
  p.dtype = dtype;
  r.backend = "cuda";
  r.device = "NVIDIA H100 80GB HBM3";
  r.timing_mode = "cold";
  return r;
}

// Plausible, distinct statistics around a median (values chosen so some are not exactly binary).
inline void set_time(Row& r, double median_ms, double tflops) {
  r.time.median_ms = median_ms;
  r.time.mean_ms = median_ms * 1.01;
  r.time.min_ms = median_ms * 0.97;
  r.time.max_ms = median_ms * 1.1;
  r.time.stddev_ms = median_ms * 0.02;
  r.time.cv = 0.02 / 1.01;
  r.time.ci_low_ms = median_ms * 0.99;
  r.time.ci_high_ms = median_ms * 1.02;
  r.time.samples = 50;
  r.samples_ms = {median_ms * 0.97, median_ms, median_ms * 1.1};
  r.tflops = tflops;
  r.flops = tflops * 1e12 * median_ms * 1e-3;
  r.sm_clock_start_mhz = 1980;
  r.sm_clock_end_mhz = 1755;
  r.sm_clock_sample_mhz = 1905;
  r.samples_dropped = 2;
  r.samples_clock_mhz = {1980, 1905, 1890};
}

// Family 1: fwd fp16 D64, dense.
inline void add_forward_family(std::vector<Row>& rows) {
  Row std1k = make_row("standard", Pass::fwd, 2, 8, 1024, 1024, 64, DType::fp16);
  set_time(std1k, 1.25, 27.5);
  std1k.mem_io_bytes = 8388608;
  std1k.mem_scratch_peak_bytes = 33554432;
  std1k.mem_device_peak_bytes = 41943040;
  std1k.hbm_read_bytes = 45000000;
  std1k.hbm_write_bytes = 21000000.5;
  std1k.l2_bytes = 1.25e8;
  std1k.counter_time_ms = 1.3;
  std1k.io_model_bytes = 50331648;
  std1k.max_rel_error = 3.1e-4;
  std1k.tolerance = 2e-3;
  std1k.check_note = "pass";
  std1k.dropout_used = 0.0;
  rows.push_back(std1k);

  Row flash1k = make_row("flash", Pass::fwd, 2, 8, 1024, 1024, 64, DType::fp16);
  set_time(flash1k, 0.5, 68.7);
  flash1k.mem_io_bytes = 8388608;
  flash1k.mem_scratch_peak_bytes = 131072;
  flash1k.counters_note = "CUPTI unavailable: not run under --counters";
  flash1k.max_rel_error = 4.5e-4;
  flash1k.tolerance = 2e-3;
  flash1k.check_note = "pass";
  flash1k.reason = "throttled";
  flash1k.dropout_used = 0.0;
  rows.push_back(flash1k);

  Row cudnn1k = make_row("cudnn", Pass::fwd, 2, 8, 1024, 1024, 64, DType::fp16);
  cudnn1k.status = Status::unsupported;
  cudnn1k.reason = "cuDNN SDPA: head_dim 64, seqlen 1024: \"padding mask\" mode not built, see --help";
  cudnn1k.flops = 17179869184;  // known before running: kept in an unsupported row
  rows.push_back(cudnn1k);

  Row std8k = make_row("standard", Pass::fwd, 2, 8, 8192, 8192, 64, DType::fp16);
  std8k.status = Status::oom;
  std8k.reason = "cudaMalloc: out of memory (8.6 GB requested)";
  rows.push_back(std8k);

  Row flash8k = make_row("flash", Pass::fwd, 2, 8, 8192, 8192, 64, DType::fp16);
  set_time(flash8k, 20.125, 109.3);
  flash8k.max_rel_error = std::nullopt;
  flash8k.check_note = "skipped: N too large for the reference";
  rows.push_back(flash8k);

  Row flash512 = make_row("flash", Pass::fwd, 1, 8, 512, 256, 64, DType::fp16);
  set_time(flash512, 0.0625, 4.3);
  flash512.point.problem.seed = 42;
  rows.push_back(flash512);
}

// Family 2: bwd bf16 D128 causal with dropout, bnhd; the flash row fails its check.
inline void add_backward_family(std::vector<Row>& rows) {
  Row stdbwd = make_row("standard", Pass::bwd, 4, 16, 2048, 2048, 128, DType::bf16);
  stdbwd.point.problem.causal = true;
  stdbwd.point.problem.dropout = 0.1;
  stdbwd.point.problem.layout = Layout::bnhd;
  set_time(stdbwd, 3.5, 98.2);
  stdbwd.max_rel_error = 4e-3;
  stdbwd.tolerance = 1e-2;
  stdbwd.check_note = "pass";
  stdbwd.dropout_used = 26.0 / 256;  // the shared keep-mask's rounding of 0.1
  rows.push_back(stdbwd);

  Row flashbwd = stdbwd;
  flashbwd.point.kernel = "flash";
  set_time(flashbwd, 2, 171.85);
  flashbwd.max_rel_error = 3e-2;
  flashbwd.tolerance = 1e-2;
  flashbwd.check_note = "FAIL: dq 3e-2 > 1e-2";
  rows.push_back(flashbwd);
}

// Family 3: block-sparse with an explicit scale; a ring row that failed with an error.
inline void add_sparse_family(std::vector<Row>& rows) {
  Row sparse = make_row("block_sparse", Pass::fwd, 1, 4, 4096, 4096, 64, DType::fp16);
  Problem& sp = sparse.point.problem;
  sp.sparsity.pattern = "local";
  sp.sparsity.density = 0.25;
  sp.sparsity.block_q = 64;
  sp.sparsity.block_k = 128;
  sp.softmax_scale = 0.1;
  set_time(sparse, 0.75, 45.1);
  sparse.mask_density = 0.2578125;
  sparse.dropout_used = 0.0;
  rows.push_back(sparse);

  Row ring = sparse;
  ring.point.kernel = "ring";
  ring.status = Status::error;
  ring.time = TimeStats{};
  ring.samples_ms.clear();
  ring.tflops = 0;
  ring.flops = 0;
  ring.sm_clock_start_mhz = ring.sm_clock_end_mhz = ring.sm_clock_sample_mhz = 0;
  ring.samples_dropped = 0;
  ring.samples_clock_mhz.clear();
  ring.dropout_used = std::nullopt;
  ring.reason = "cudaErrorIllegalAddress | in ring_step\nat launch 3";
  rows.push_back(ring);
}

inline std::vector<Row> fixture_rows() {
  std::vector<Row> rows;
  add_forward_family(rows);
  add_backward_family(rows);
  add_sparse_family(rows);
  return rows;
}

inline bool same_double(double a, double b) { return a == b || (std::isnan(a) && std::isnan(b)); }
inline bool same_double(const std::optional<double>& a, const std::optional<double>& b) {
  return a.has_value() == b.has_value() && (!a || same_double(*a, *b));
}

// Every field of Row, one CHECK each so a failure names the field.
inline void check_same_row(const Row& a, const Row& b, bool with_samples) {
  INFO("row " << point_key(a.point));
  CHECK(a.point == b.point);
  CHECK(a.status == b.status);
  CHECK(a.reason == b.reason);
  CHECK(a.backend == b.backend);
  CHECK(a.device == b.device);
  CHECK(a.timing_mode == b.timing_mode);
  CHECK(same_double(a.dropout_used, b.dropout_used));
  CHECK(same_double(a.time.median_ms, b.time.median_ms));
  CHECK(same_double(a.time.mean_ms, b.time.mean_ms));
  CHECK(same_double(a.time.min_ms, b.time.min_ms));
  CHECK(same_double(a.time.max_ms, b.time.max_ms));
  CHECK(same_double(a.time.stddev_ms, b.time.stddev_ms));
  CHECK(same_double(a.time.cv, b.time.cv));
  CHECK(same_double(a.time.ci_low_ms, b.time.ci_low_ms));
  CHECK(same_double(a.time.ci_high_ms, b.time.ci_high_ms));
  CHECK(a.time.samples == b.time.samples);
  if (with_samples) {
    REQUIRE(a.samples_ms.size() == b.samples_ms.size());
    for (std::size_t i = 0; i < a.samples_ms.size(); ++i) CHECK(same_double(a.samples_ms[i], b.samples_ms[i]));
    REQUIRE(a.samples_clock_mhz.size() == b.samples_clock_mhz.size());
    for (std::size_t i = 0; i < a.samples_clock_mhz.size(); ++i)
      CHECK(same_double(a.samples_clock_mhz[i], b.samples_clock_mhz[i]));
  }
  CHECK(same_double(a.flops, b.flops));
  CHECK(same_double(a.tflops, b.tflops));
  CHECK(same_double(a.mask_density, b.mask_density));
  CHECK(same_double(a.mem_io_bytes, b.mem_io_bytes));
  CHECK(same_double(a.mem_scratch_peak_bytes, b.mem_scratch_peak_bytes));
  CHECK(same_double(a.mem_device_peak_bytes, b.mem_device_peak_bytes));
  CHECK(same_double(a.hbm_read_bytes, b.hbm_read_bytes));
  CHECK(same_double(a.hbm_write_bytes, b.hbm_write_bytes));
  CHECK(same_double(a.l2_bytes, b.l2_bytes));
  CHECK(same_double(a.counter_time_ms, b.counter_time_ms));
  CHECK(same_double(a.io_model_bytes, b.io_model_bytes));
  CHECK(a.counters_note == b.counters_note);
  CHECK(same_double(a.max_rel_error, b.max_rel_error));
  CHECK(same_double(a.tolerance, b.tolerance));
  CHECK(a.check_note == b.check_note);
  CHECK(same_double(a.sm_clock_start_mhz, b.sm_clock_start_mhz));
  CHECK(same_double(a.sm_clock_end_mhz, b.sm_clock_end_mhz));
  CHECK(same_double(a.sm_clock_sample_mhz, b.sm_clock_sample_mhz));
  CHECK(a.samples_dropped == b.samples_dropped);
}

inline void check_same_rows(const std::vector<Row>& a, const std::vector<Row>& b, bool with_samples) {
  REQUIRE(a.size() == b.size());
  for (std::size_t i = 0; i < a.size(); ++i) check_same_row(a[i], b[i], with_samples);
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

inline void spit(const std::filesystem::path& p, const std::string& text, bool append = false) {
  std::ofstream out(p, std::ios::binary | (append ? std::ios::app : std::ios::trunc));
  out << text;
}

// A fresh directory under the system temp dir, removed when the test ends.
struct ScratchDir {
  std::filesystem::path path;
  ScratchDir() {
    static std::atomic<unsigned> counter{0};
    std::random_device rd;
    path = std::filesystem::temp_directory_path() /
           ("fa_reports_test_" + std::to_string(rd()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
};

}  // namespace fa::test
