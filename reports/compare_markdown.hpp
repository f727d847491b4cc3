#pragma once
// The comparison as Markdown for a pull-request comment: the verdict line first (what a reviewer
// reads in the notification), then regressions, improvements, the unchanged count (with the
// changes that stayed within the noise folded away), the points found in only one file, notes.
#include <cstddef>
#include <string>

#include "reports/compare.hpp"

namespace fa {

struct CompareMarkdownOptions {
  // Rows per table at most: GitHub refuses comments over 65536 characters. The JSON verdict
  // always holds every point.
  std::size_t max_rows = 100;
};

std::string compare_markdown(const CompareOutcome& outcome, const CompareMarkdownOptions& options = {});

}  // namespace fa
