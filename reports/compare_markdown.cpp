#include "reports/compare_markdown.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/core.h>

#include "reports/compare_format.hpp"
#include "reports/compare_time.hpp"

namespace fa {
namespace {

// A table cell stays on one line and opens no column (also inside code spans, where GitHub still
// splits on a bare '|').
std::string cell(std::string_view s, std::size_t max_chars = 160) {
  std::string out;
  std::size_t chars = 0;
  for (char c : s) {
    if (chars >= max_chars && (static_cast<unsigned char>(c) & 0xC0) != 0x80) {
      out += "...";
      break;
    }
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++chars;
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

// Built by appends: `"literal" + temporary` trips a GCC 12 false -Wrestrict warning.
std::string code(std::string_view s) {
  std::string out = "`";
  out += cell(s);
  out += '`';
  return out;
}

std::string plural(std::size_t n, const char* one, const char* many) {
  return fmt::format("{} {}", n, n == 1 ? one : many);
}

std::string verdict_line(const CompareOutcome& o) {
  const std::size_t regressed = o.regressed_points();
  if (!o.failed()) return "## fa-bench compare: PASS, no regressions\n\n";
  std::string why = plural(regressed, "regressed point", "regressed points");
  if (o.options.fail_on_missing && !o.only_in_baseline.empty()) {
    why += ", " + plural(o.only_in_baseline.size(), "baseline point missing", "baseline points missing");
  }
  return "## fa-bench compare: FAIL, " + why + "\n\n";
}

// What the verdict rests on: how many runs on each side, and whether suspects were re-measured.
std::string evidence_line(const CompareOutcome& o) {
  std::string s = "Evidence: ";
  if (o.confirm_rounds == 0) {
    s += "**one current run, not re-measured**: a shift between processes can pass for a code change when it "
         "exceeds a point's line; `fa-bench run --baseline NAME` re-measures each regressed point before failing it.";
  } else {
    s += fmt::format("every point whose time or HBM bytes regressed was re-measured {} times ({}, fresh warm-up, "
                     "another order) and fails only when the regression showed again.",
                     o.confirm_rounds, o.confirm_method.empty() ? "by the caller" : o.confirm_method);
  }
  s += o.baseline_runs == 1
           ? " Baseline: **1 run**: noise lines are the default floor for a point's duration; a baseline of several runs "
             "of one build measures each point's own spread."
           : fmt::format(" Baseline: {} runs.", o.baseline_runs);
  return s + "\n\n";
}

void write_runs(std::string& md, const CompareOutcome& o) {
  md += fmt::format("{} compared: {} regressed, {} improved, {} unchanged; {} only in the baseline, {} only in the "
                    "current run.\n\n",
                    plural(o.points.size(), "point", "points"), o.regressed_points(), o.improved_points(),
                    o.unchanged_points(), o.only_in_baseline.size(), o.only_in_current.size());
  md += "| run | file | runs | device | commit | date |\n|---|---|--:|---|---|---|\n";
  auto line = [&](const char* run, const std::string& source, std::size_t runs, const std::string& device,
                  const RunMetadata& m) {
    md += fmt::format("| {} | {} | {} | {} | {} | {} |\n", run, code(source), runs, cell(device.empty() ? "?" : device),
                      cell(m.git_commit.substr(0, 12)), cell(m.date_utc));
  };
  line("baseline", o.baseline_source, o.baseline_runs, o.baseline_device, o.baseline_metadata);
  line("current", o.current_source, 1, o.current_device, o.current_metadata);
  const CompareOptions& opt = o.options;
  md += fmt::format("\nGates: time slower than the baseline by more than its line, the larger of --threshold {}% and "
                    "the point's between-run noise (see the evidence), with Mann-Whitney p <= {} on the samples (95% CIs "
                    "of the medians apart when there are none); times {}; HBM bytes beyond {}%; tracked memory "
                    "(operands, scratch) beyond {}%; device-wide peak beyond {}; status and correctness always.\n\n",
                    opt.time_threshold_pct, opt.alpha,
                    opt.raw_time ? "as measured (--raw-time)" : "clock-normalized where both sides have SM clocks, raw change shown",
                    opt.bytes_threshold_pct, opt.mem_threshold_pct, compare_bytes_text(opt.device_peak_tolerance_bytes));
  md += evidence_line(o);
}

void write_findings(std::string& md, const CompareOutcome& o, Direction direction, const char* title,
                    const CompareMarkdownOptions& options) {
  std::vector<std::pair<const PointComparison*, const Finding*>> rows;
  for (const PointComparison& p : o.points) {
    for (const Finding& f : p.findings) {
      if (f.direction == direction) rows.emplace_back(&p, &f);
    }
  }
  // Status and correctness first (the metric order), then the largest changes.
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
    if (a.second->metric != b.second->metric) return a.second->metric < b.second->metric;
    return std::abs(a.second->change.value_or(0)) > std::abs(b.second->change.value_or(0));
  });
  if (rows.empty()) {
    md += fmt::format("### {}: none\n\n", title);
    return;
  }
  md += fmt::format("### {} ({})\n\n", title, rows.size());
  md += "| point | metric | baseline | current | change | evidence |\n|---|---|--:|--:|--:|---|\n";
  std::size_t shown = 0;
  for (const auto& [p, f] : rows) {
    if (shown++ == options.max_rows) break;
    md += fmt::format("| {} | {} | {} | {} | {} | {} |\n", code(p->label), to_string(f->metric), cell(f->baseline),
                      cell(f->current), f->change ? compare_change_text(*f->change) : "", cell(f->evidence, 320));
  }
  if (rows.size() > options.max_rows) {
    md += fmt::format("\n... and {} more (every point is in the JSON verdict, `--json FILE`).\n", rows.size() - options.max_rows);
  }
  md += "\n";
}

void write_unchanged(std::string& md, const CompareOutcome& o, const CompareMarkdownOptions& options) {
  md += fmt::format("### Unchanged: {}\n\n", plural(o.unchanged_points(), "point", "points"));
  std::vector<const PointComparison*> noisy;
  for (const PointComparison& p : o.points) {
    if (p.findings.empty() && p.time_within_noise(o.options)) noisy.push_back(&p);
  }
  if (noisy.empty()) return;
  md += fmt::format("<details><summary>{} slower or faster by more than {}%, but within the noise of the samples or "
                    "between runs, or changed on the clock-normalized scale only (not gated)</summary>\n\n",
                    plural(noisy.size(), "point", "points"), o.options.time_threshold_pct);
  md += "| point | baseline | current | change | raw | line | evidence |\n|---|--:|--:|--:|--:|--:|---|\n";
  std::size_t shown = 0;
  for (const PointComparison* p : noisy) {
    if (shown++ == options.max_rows) break;
    const TimeDelta& t = *p->time;
    std::string evidence = t.p_value ? "p = " + compare_p_text(*t.p_value) : std::string(to_string(t.method));
    evidence += fmt::format(", n {}/{}; noise {}", t.baseline_samples, t.current_samples, t.allowance.text());
    const double line = t.change > 0 ? t.regression_line : t.improvement_line;
    const double signed_line = t.change > 0 ? line : -line;
    if (crosses_line(t.change, t.raw_change, signed_line, false) &&
        !crosses_line(t.change, t.raw_change, signed_line, t.reference_clock_mhz > 0)) {
      evidence += "; raw change within the line: the clock, not the code, moved it";
    }
    md += fmt::format("| {} | {} | {} | {} | {} | {:.1f}% | {} |\n", code(p->label), compare_ms_text(t.baseline_ms),
                      compare_ms_text(t.current_ms), compare_change_text(t.change), compare_change_text(t.raw_change),
                      100 * line, cell(evidence));
  }
  if (noisy.size() > options.max_rows) md += fmt::format("\n... and {} more.\n", noisy.size() - options.max_rows);
  md += "\n</details>\n\n";
}

// The points re-measured before the verdict: what the re-measurements showed and what was decided.
void write_confirmations(std::string& md, const CompareOutcome& o, const CompareMarkdownOptions& options) {
  std::vector<const PointComparison*> rows;
  for (const PointComparison& p : o.points) {
    if (p.confirmation) rows.push_back(&p);
  }
  if (o.confirm_rounds == 0) return;
  if (rows.empty()) {
    md += "### Re-measured: none (no point's time or bytes regressed)\n\n";
    return;
  }
  md += fmt::format("### Re-measured before the verdict ({})\n\n", rows.size());
  md += "| point | verdict | why |\n|---|---|---|\n";
  std::size_t shown = 0;
  for (const PointComparison* p : rows) {
    if (shown++ == options.max_rows) break;
    md += fmt::format("| {} | {} | {} |\n", code(p->label), p->confirmation->reproduced ? "**fails**" : "passes",
                      cell(p->confirmation->why, 600));
  }
  if (rows.size() > options.max_rows) md += fmt::format("\n... and {} more.\n", rows.size() - options.max_rows);
  md += "\n";
}

void write_unmatched_list(std::string& md, const std::vector<UnmatchedPoint>& points, const std::string& heading,
                          const std::string& meaning, const CompareMarkdownOptions& options) {
  md += fmt::format("**{}** ({}): {}\n\n", heading, points.size(), meaning);
  std::size_t shown = 0;
  for (const UnmatchedPoint& u : points) {
    if (shown++ == options.max_rows) {
      md += fmt::format("- ... and {} more\n", points.size() - options.max_rows);
      break;
    }
    md += fmt::format("- {} ({})\n", code(u.label), to_string(u.row.status));
  }
  md += "\n";
}

void write_unmatched(std::string& md, const CompareOutcome& o, const CompareMarkdownOptions& options) {
  if (o.only_in_baseline.empty() && o.only_in_current.empty()) {
    md += "### Unmatched points: none\n\n";
    return;
  }
  md += "### Unmatched points\n\n";
  if (!o.only_in_baseline.empty()) {
    write_unmatched_list(md, o.only_in_baseline, "Only in the baseline",
                         o.options.fail_on_missing ? "not measured in the current run, failing the gate (--fail-on-missing)"
                                                   : "not measured in the current run",
                         options);
  }
  if (!o.only_in_current.empty()) {
    write_unmatched_list(md, o.only_in_current, "Only in the current run", "no baseline yet", options);
  }
}

}  // namespace

std::string compare_markdown(const CompareOutcome& o, const CompareMarkdownOptions& options) {
  std::string md = verdict_line(o);
  write_runs(md, o);
  write_findings(md, o, Direction::regression, "Regressions", options);
  write_confirmations(md, o, options);
  write_findings(md, o, Direction::improvement, "Improvements", options);
  write_unchanged(md, o, options);
  write_unmatched(md, o, options);
  if (!o.notes.empty()) {
    md += "### Notes\n\n";
    for (const std::string& n : o.notes) md += "- " + cell(n, 400) + "\n";
    md += "\n";
  }
  // One trailing line break, as a file should end.
  while (md.size() > 1 && md[md.size() - 1] == '\n' && md[md.size() - 2] == '\n') md.pop_back();
  return md;
}

}  // namespace fa
