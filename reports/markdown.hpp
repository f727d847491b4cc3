#pragma once
// The human-readable report: run metadata, then one table per problem family (pass, dtype,
// head_dim, causal, dropout, layout, sparsity, scale) with one line per shape (B, H, Nq, Nk) and,
// per kernel, its median time and TFLOP/s, plus "kernel vs baseline" speedup columns. Then the
// rows that failed their correctness check, the rows not measured (full reasons), and a legend.
#include <cstddef>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "reports/metadata.hpp"

namespace fa {

struct MarkdownOptions {
  std::string title = "fa-bench results";
  // Speedup columns "k vs b" = median(b) / median(k) for each baseline b that has rows in a
  // table, in this order; a kernel is not compared against a baseline listed after it.
  std::vector<std::string> baselines = {"standard", "cudnn"};
  std::size_t max_reason_chars = 40;  // reasons in table cells are cut to this (full text below)
};

// A row whose correctness check failed: a "FAIL..." note or an error above its tolerance.
bool failed_check(const Row& row);

std::string markdown_report(const RunMetadata& metadata, const std::vector<Row>& rows,
                            const MarkdownOptions& options = {});

}  // namespace fa
