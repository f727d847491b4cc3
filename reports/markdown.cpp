#include "reports/markdown.hpp"

#include <algorithm>
#include <cstdio>
#include <initializer_list>
#include <map>
#include <optional>
#include <tuple>

#include "core/varlen.hpp"
#include "reports/number_text.hpp"

namespace fa {
namespace {

// Concatenation by appends: `"literal" + temporary` trips a GCC 12 false -Wrestrict warning.
void append(std::string& out, std::initializer_list<std::string_view> parts) {
  for (std::string_view p : parts) out += p;
}

std::string printf_text(const char* format, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

// About four significant digits at any magnitude, without exponents.
std::string ms_text(double ms) {
  if (ms < 1) return printf_text("%.4f", ms);
  if (ms < 10) return printf_text("%.3f", ms);
  if (ms < 100) return printf_text("%.2f", ms);
  if (ms < 1000) return printf_text("%.1f", ms);
  return printf_text("%.0f", ms);
}
std::string tflops_text(double t) { return printf_text(t < 10 ? "%.2f" : "%.1f", t); }
std::string short_number(double x) { return printf_text("%g", x); }

// A table cell must stay on one line and not open a new column.
std::string cell(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '|') out += "\\|";
    else if (c == '\n' || c == '\r') out += ' ';
    else out += c;
  }
  return out;
}

// Bullet-list text: only line breaks would break the list.
std::string one_line(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

std::string shorten(const std::string& s, std::size_t max_chars) {
  if (s.size() <= max_chars) return s;
  std::size_t cut = max_chars >= 3 ? max_chars - 3 : 0;
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80) --cut;  // not inside a UTF-8 sequence
  // End on a word boundary when one is near, so the cell does not end in half a word.
  const std::size_t space = s.rfind(' ', cut);
  if (space != std::string::npos && space > 0 && cut - space < 12) cut = space;
  while (cut > 0 && s[cut - 1] == ' ') --cut;
  return s.substr(0, cut) + "...";
}

bool measured_ok(const Row* r) { return r && r->status == Status::ok && r->time.median_ms > 0; }

std::string sparsity_text(const Sparsity& s) {
  if (s.is_dense()) return "dense";
  return s.pattern + " density " + short_number(s.density) + " (blocks " + std::to_string(s.block_q) + "x" +
         std::to_string(s.block_k) + ")";
}

// Every axis except the kernel and the shape (B, H, Nq, Nk): rows that share it go in one table.
std::string family_heading(const Point& pt) {
  const Problem& p = pt.problem;
  std::string h = std::string(to_string(pt.pass)) + ", " + std::string(to_string(p.dtype)) + ", head_dim " +
                  std::to_string(p.head_dim) + ", " + (p.causal ? "causal" : "non-causal") + ", dropout " +
                  short_number(p.dropout) + ", " + std::string(to_string(p.layout)) + ", " + sparsity_text(p.sparsity);
  if (p.softmax_scale != 0.0) h += ", scale " + short_number(p.softmax_scale);
  return h;
}

// B, H, K/V heads, Nq, Nk, and the varlen batch ("" without one; a drawn one with its seed).
using Shape = std::tuple<std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::int64_t, std::string>;
Shape shape_of(const Problem& p) {
  std::string varlen = p.varlen;
  if (p.varlen.rfind("uniform:", 0) == 0) varlen += "@" + std::to_string(p.seed);
  return {p.batch, p.heads, p.num_kv_heads(), p.seqlen_q, p.seqlen_kv, varlen};
}

// The Varlen cell: the distribution and the summary of its lengths (Nq and Nk show the longest).
std::string varlen_cell(const Problem& p) {
  if (!p.is_varlen()) return "";
  std::string out = p.varlen;
  append(out, {": ", summary_text(summarize_lengths(p.seqlens))});
  return out;
}

struct Family {
  std::string heading;
  std::map<Shape, std::map<std::string, const Row*>> lines;  // shape -> kernel -> row (last one wins)
  std::vector<std::string> kernels;                          // present here, in report order
  bool grouped_kv = false;  // some row has fewer K/V heads than query heads: the table gets a KV column
  bool varlen = false;      // some row has a varlen batch: the table gets a Varlen column
};

// Baselines first (in option order), then the other kernels in the order they first appear.
std::vector<std::string> kernel_order(const std::vector<Row>& rows, const MarkdownOptions& opt) {
  std::vector<std::string> order;
  auto present = [&](const std::string& k) {
    return std::any_of(rows.begin(), rows.end(), [&](const Row& r) { return r.point.kernel == k; });
  };
  for (const std::string& b : opt.baselines) {
    if (present(b) && std::find(order.begin(), order.end(), b) == order.end()) order.push_back(b);
  }
  for (const Row& r : rows) {
    if (std::find(order.begin(), order.end(), r.point.kernel) == order.end()) order.push_back(r.point.kernel);
  }
  return order;
}

std::vector<Family> group_rows(const std::vector<Row>& rows, const MarkdownOptions& opt) {
  std::vector<Family> families;  // in the order the families first appear (sweep order)
  std::map<std::string, std::size_t> index;
  for (const Row& r : rows) {
    const std::string heading = family_heading(r.point);
    auto [it, inserted] = index.emplace(heading, families.size());
    if (inserted) families.push_back(Family{heading, {}, {}});
    families[it->second].lines[shape_of(r.point.problem)][r.point.kernel] = &r;
    families[it->second].grouped_kv = families[it->second].grouped_kv || r.point.problem.grouped_kv();
    families[it->second].varlen = families[it->second].varlen || r.point.problem.is_varlen();
  }
  const std::vector<std::string> order = kernel_order(rows, opt);
  for (Family& f : families) {
    for (const std::string& k : order) {
      const bool here = std::any_of(f.lines.begin(), f.lines.end(),
                                    [&](const auto& line) { return line.second.count(k) > 0; });
      if (here) f.kernels.push_back(k);
    }
  }
  return families;
}

std::string time_cell(const Row* r, const MarkdownOptions& opt) {
  if (!r) return "";
  if (r->status == Status::ok) return ms_text(r->time.median_ms) + (failed_check(*r) ? " (!)" : "");
  std::string s(to_string(r->status));
  if (!r->reason.empty() && r->status != Status::oom) s += ": " + shorten(r->reason, opt.max_reason_chars);
  return cell(s);
}

std::string tflops_cell(const Row* r) {
  return (r && r->status == Status::ok && r->tflops > 0) ? tflops_text(r->tflops) : "";
}

struct Comparison {
  std::string kernel, baseline;
};

std::vector<Comparison> comparisons(const Family& f, const MarkdownOptions& opt) {
  std::vector<Comparison> out;
  std::vector<std::string> earlier_baselines;
  for (const std::string& b : opt.baselines) {
    if (std::find(f.kernels.begin(), f.kernels.end(), b) == f.kernels.end()) continue;
    for (const std::string& k : f.kernels) {
      if (k == b || std::find(earlier_baselines.begin(), earlier_baselines.end(), k) != earlier_baselines.end()) continue;
      out.push_back({k, b});
    }
    earlier_baselines.push_back(b);
  }
  return out;
}

// "Dropout applied: 0.1015625 (flash, standard); 0.1 (cudnn).": the probability each kernel of a
// dropout family actually applied (Row::dropout_used), which may differ from the one asked for.
// Empty for families without dropout or without any recorded value (files from older versions).
std::string applied_dropout_line(const Family& f) {
  std::map<double, std::vector<std::string>> by_value;
  for (const std::string& k : f.kernels) {
    std::vector<double> values;
    for (const auto& line : f.lines) {
      auto it = line.second.find(k);
      if (it == line.second.end() || !it->second->dropout_used || it->second->point.problem.dropout <= 0) continue;
      const double v = *it->second->dropout_used;
      if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
    }
    for (double v : values) by_value[v].push_back(k);
  }
  if (by_value.empty()) return "";
  std::string out = "Dropout applied:";
  std::string sep = " ";
  for (const auto& [value, kernels] : by_value) {
    append(out, {sep, round_trip_text(value), " ("});
    for (std::size_t i = 0; i < kernels.size(); ++i) append(out, {i ? ", " : "", cell(kernels[i])});
    out += ")";
    sep = "; ";
  }
  return out + ".\n\n";
}

void write_family(std::string& md, const Family& f, const MarkdownOptions& opt) {
  const std::vector<Comparison> comps = comparisons(f, opt);
  append(md, {"### ", cell(f.heading), "\n\n", applied_dropout_line(f), "| B | H |", f.grouped_kv ? " KV |" : "",
              f.varlen ? " Varlen |" : "", " Nq | Nk |"});
  std::string rule = "|--:|--:|";
  append(rule, {f.grouped_kv ? "--:|" : "", f.varlen ? "---|" : "", "--:|--:|"});
  for (const std::string& k : f.kernels) {
    append(md, {" ", cell(k), " ms | ", cell(k), " TFLOP/s |"});
    rule += "--:|--:|";
  }
  for (const Comparison& c : comps) {
    append(md, {" ", cell(c.kernel), " vs ", cell(c.baseline), " |"});
    rule += "--:|";
  }
  append(md, {"\n", rule, "\n"});

  for (const auto& [shape, by_kernel] : f.lines) {
    const auto& [b, h, kv, nq, nk, varlen] = shape;
    for (std::int64_t v : {b, h}) append(md, {"| ", std::to_string(v), " "});
    if (f.grouped_kv) append(md, {"| ", std::to_string(kv), " "});
    if (f.varlen) append(md, {"| ", cell(varlen_cell(by_kernel.begin()->second->point.problem)), " "});
    for (std::int64_t v : {nq, nk}) append(md, {"| ", std::to_string(v), " "});
    md += "|";
    auto row_of = [&](const std::string& k) -> const Row* {
      auto it = by_kernel.find(k);
      return it == by_kernel.end() ? nullptr : it->second;
    };
    for (const std::string& k : f.kernels) {
      const Row* r = row_of(k);
      append(md, {" ", time_cell(r, opt), " | ", tflops_cell(r), " |"});
    }
    for (const Comparison& c : comps) {
      const Row* kr = row_of(c.kernel);
      const Row* br = row_of(c.baseline);
      const bool both = measured_ok(kr) && measured_ok(br);
      append(md, {" ", both ? printf_text("%.2fx", br->time.median_ms / kr->time.median_ms) : std::string(), " |"});
    }
    md += "\n";
  }
  md += "\n";
}

void write_header(std::string& md, const RunMetadata& m, const std::vector<Row>& rows, const MarkdownOptions& opt) {
  md += "# " + opt.title + "\n\n";
  for (const MetadataField& field : metadata_fields()) {
    const std::string& value = m.*field.member;
    if (!value.empty()) append(md, {"- ", field.name, ": ", one_line(value), "\n"});
  }
  for (const auto& [key, value] : m.extra) append(md, {"- ", one_line(key), ": ", one_line(value), "\n"});

  std::map<Status, std::size_t> counts;
  for (const Row& r : rows) ++counts[r.status];
  md += "- rows: " + std::to_string(rows.size());
  std::string parts;
  for (const auto& [status, n] : counts) {
    parts += (parts.empty() ? "" : ", ") + std::to_string(n) + " " + std::string(to_string(status));
  }
  if (!parts.empty()) md += " (" + parts + ")";
  md += "\n\n";
}

void write_failed_checks(std::string& md, const std::vector<Row>& rows) {
  std::vector<const Row*> failed;
  for (const Row& r : rows) {
    if (failed_check(r)) failed.push_back(&r);
  }
  if (failed.empty()) return;
  md += "## Failed correctness checks\n\n| point | max rel. error | tolerance | note |\n|---|--:|--:|---|\n";
  for (const Row* r : failed) {
    md += "| " + cell(point_label(r->point)) + " | " +
          (r->max_rel_error ? printf_text("%.3g", *r->max_rel_error) : std::string()) + " | " +
          (r->tolerance ? printf_text("%.3g", *r->tolerance) : std::string()) + " | " + cell(r->check_note) + " |\n";
  }
  md += "\n";
}

void write_not_measured(std::string& md, const std::vector<Row>& rows) {
  std::string table;
  for (const Row& r : rows) {
    if (r.status == Status::ok) continue;
    table += "| " + cell(point_label(r.point)) + " | " + std::string(to_string(r.status)) + " | " + cell(r.reason) + " |\n";
  }
  if (table.empty()) return;
  md += "## Rows not measured\n\n| point | status | reason |\n|---|---|---|\n" + table + "\n";
}

// Rows nearer the bandwidth roof than the compute roof (decoding, short sequences): what they are
// judged by is the HBM bandwidth they reach against the copy ceiling of their GPU. Only rows whose
// counters measured their bytes.
void write_bandwidth(std::string& md, const std::vector<Row>& rows) {
  std::string table;
  for (const Row& r : rows) {
    if (r.status != Status::ok || !r.achieved_hbm_gbps || !r.pct_peak_bandwidth) continue;
    if (r.pct_peak_flops && *r.pct_peak_flops > *r.pct_peak_bandwidth) continue;
    const std::optional<double> measured = measured_hbm_bytes(r);
    const bool over = measured && r.io_model_bytes && *r.io_model_bytes > 0;
    append(table, {"| ", cell(point_label(r.point)), " | ", ms_text(r.time.median_ms), " | ",
                   printf_text("%.0f", *r.achieved_hbm_gbps), " | ", printf_text("%.1f", *r.pct_peak_bandwidth), " | ",
                   over ? printf_text("%.2f", *measured / *r.io_model_bytes) : std::string(), " |\n"});
  }
  if (table.empty()) return;
  append(md, {"## Memory-bound rows\n\nHBM bytes measured by the counters / median time, against the copy "
              "ceiling of the GPU (metadata: hbm_copy_ceiling); rows nearer that roof than the GEMM roof.\n\n"
              "| point | ms | HBM GB/s | % of copy ceiling | measured / model bytes |\n|---|--:|--:|--:|--:|\n",
              table, "\n"});
}

// Notes on measured rows (e.g. "throttled") qualify their numbers, so they are listed in full.
void write_notes(std::string& md, const std::vector<Row>& rows) {
  std::string table;
  for (const Row& r : rows) {
    if (r.status == Status::ok && !r.reason.empty()) append(table, {"| ", cell(point_label(r.point)), " | ", cell(r.reason), " |\n"});
  }
  if (table.empty()) return;
  append(md, {"## Notes on measured rows\n\n| point | note |\n|---|---|\n", table, "\n"});
}

void write_legend(std::string& md, const MarkdownOptions& opt) {
  md +=
      "## Legend\n\n"
      "- Times are medians in milliseconds over the measured repetitions (timing mode in the header).\n"
      "- TFLOP/s = effective FLOPs / median time. FLOPs: forward = 4 * B * H * Nq * Nk * D (two matmuls); "
      "backward = 2.5 x forward (a flash kernel's recompute is not counted); forward+backward = 3.5 x forward. "
      "Causal and block-sparse masks count only the visible part of the Nq x Nk score matrix, so skipping "
      "masked work is not credited as extra throughput.\n"
      "- \"k vs b\" = median time of b / median time of k: above 1 means k is faster than baseline b. "
      "Blank when either row is missing or not ok.\n"
      "- \"Dropout applied\" under a heading: the drop probability each kernel actually used. The shared "
      "keep-mask rounds p to a multiple of 1/256 (kept elements scaled by 1 / (1 - applied)); cuDNN applies p.\n"
      "- \"(!)\" marks a failed correctness check (listed above). Cells of rows that were not measured show "
      "their status (oom, unsupported, error, planned) and a shortened reason.\n";
}

}  // namespace

bool failed_check(const Row& row) {
  if (row.check_note.rfind("FAIL", 0) == 0) return true;
  return row.max_rel_error && row.tolerance && *row.max_rel_error > *row.tolerance;
}

std::string markdown_report(const RunMetadata& metadata, const std::vector<Row>& rows, const MarkdownOptions& options) {
  std::string md;
  write_header(md, metadata, rows, options);
  if (rows.empty()) {
    md += "No results yet.\n\n";
  } else {
    md += "## Results\n\n";
    for (const Family& f : group_rows(rows, options)) write_family(md, f, options);
  }
  write_failed_checks(md, rows);
  write_not_measured(md, rows);
  write_bandwidth(md, rows);
  write_notes(md, rows);
  write_legend(md, options);
  return md;
}

}  // namespace fa
