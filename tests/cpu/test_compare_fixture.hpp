#pragma once
// Shared by the compare tests: result rows with chosen timing samples (tight or noisy around a
// median), result files built from them, and a scratch directory. Everything deterministic: no
// random numbers, so a failing test fails the same way every time.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include "core/result.hpp"
#include "reports/csv.hpp"
#include "reports/json.hpp"
#include "reports/metadata.hpp"

namespace fa::test::cmp {

inline constexpr const char* kH100 = "NVIDIA H100 80GB HBM3";

// Fields built as strings, not assigned from literals: GCC 12 warns falsely (-Wrestrict) on the
// literal assignments once they are inlined into some callers.
inline RunMetadata metadata(const std::string& device = kH100) {
  RunMetadata m;
  m.tool_version = std::string("0.1.0");
  m.git_commit = std::string("0123456789abcdef0123456789abcdef01234567");
  m.build_type = std::string("Release");
  m.date_utc = std::string("2025-01-02T03:04:05Z");
  m.device = device;
  m.device_count = std::string("1");
  m.timing_mode = std::string("cold");
  return m;
}

// n samples evenly spread over median * [1 - spread, 1 + spread] (median exactly in the middle
// for odd n; for even n the two middle values straddle it symmetrically).
inline std::vector<double> spread_samples(double median, double spread, int n = 20) {
  std::vector<double> s;
  for (int k = 0; k < n; ++k) s.push_back(median * (1 - spread + 2 * spread * k / (n - 1)));
  return s;
}

inline double median_of(std::vector<double> s) {
  std::sort(s.begin(), s.end());
  const std::size_t n = s.size();
  return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

// A measured ok row of `kernel` at sequence length `seqlen`, with the given samples (median, CI
// from them: the CI spans the middle fifth of the sorted samples, wide for noisy ones).
inline Row timed_row(const std::string& kernel, std::int64_t seqlen, std::vector<double> samples,
                     const std::string& device = kH100) {
  Row r;
  r.point.kernel = kernel;
  r.point.pass = Pass::fwd;
  r.point.problem.batch = 1;
  r.point.problem.heads = 8;
  r.point.problem.seqlen_q = r.point.problem.seqlen_kv = seqlen;
  r.point.problem.head_dim = 64;
  r.backend = "cuda";
  r.device = device;
  r.timing_mode = "cold";
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  r.time.median_ms = median_of(sorted);
  r.time.mean_ms = r.time.median_ms;
  r.time.min_ms = sorted.front();
  r.time.max_ms = sorted.back();
  r.time.ci_low_ms = sorted[sorted.size() * 2 / 5];
  r.time.ci_high_ms = sorted[(sorted.size() * 3 - 1) / 5];
  r.time.samples = static_cast<std::int64_t>(samples.size());
  r.samples_ms = std::move(samples);
  r.flops = 1e9;
  r.tflops = r.flops / (r.time.median_ms * 1e-3) / 1e12;
  r.mem_io_bytes = 4 * 1024 * 1024;
  r.mem_scratch_peak_bytes = 128 * 1024;
  r.mem_device_peak_bytes = 6 * 1024 * 1024;
  r.hbm_read_bytes = 3e8;
  r.hbm_write_bytes = 1e8;
  r.max_rel_error = 4e-4;
  r.tolerance = 2e-3;
  r.check_note = "pass";
  return r;
}

// A tight row (+-1% spread) of `kernel`/`seqlen` with median `median_ms`.
inline Row tight_row(const std::string& kernel, std::int64_t seqlen, double median_ms) {
  return timed_row(kernel, seqlen, spread_samples(median_ms, 0.01));
}

// Three kernels x two lengths, all tight: the baseline most tests start from.
inline std::vector<Row> baseline_rows() {
  std::vector<Row> rows;
  for (const char* kernel : {"flash", "standard", "block_sparse"}) {
    for (std::int64_t n : {1024, 4096}) rows.push_back(tight_row(kernel, n, n == 1024 ? 0.5 : 6.0));
  }
  return rows;
}

inline Row& find_row(std::vector<Row>& rows, const std::string& kernel, std::int64_t seqlen) {
  for (Row& r : rows) {
    if (r.point.kernel == kernel && r.point.problem.seqlen_q == seqlen) return r;
  }
  throw std::logic_error("fixture has no row " + kernel + " " + std::to_string(seqlen));
}

inline ResultFile result_file(std::vector<Row> rows, const std::string& device = kH100) {
  return ResultFile{metadata(device), std::move(rows)};
}

inline std::string slurp_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

inline void write_text(const std::filesystem::path& p, const std::string& text) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << text;
}

// A fresh directory under the system temp dir, removed when the test ends.
struct Scratch {
  std::filesystem::path path;
  Scratch() {
    static std::atomic<unsigned> counter{0};
    path = std::filesystem::temp_directory_path() /
           ("fa_compare_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~Scratch() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  std::string json(const std::string& name, const std::vector<Row>& rows, const std::string& device = kH100) const {
    const auto p = path / name;
    write_text(p, results_json_text(metadata(device), rows));
    return p.string();
  }
  std::string csv(const std::string& name, const std::vector<Row>& rows) const {
    const auto p = path / name;
    write_text(p, csv_text(rows));
    return p.string();
  }
};

}  // namespace fa::test::cmp
