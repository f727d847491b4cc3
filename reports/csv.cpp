#include "reports/csv.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unordered_map>

#include "core/errors.hpp"
#include "core/varlen.hpp"
#include "reports/csv_records.hpp"
#include "reports/number_text.hpp"

namespace fa {
namespace {

using Writer = std::string (*)(const Row&);
using Reader = void (*)(Row&, std::string_view);  // throws std::invalid_argument("what was expected")

struct Column {
  std::string_view name;
  Writer write;
  Reader read;     // nullptr: derived column, recomputed instead of read
  bool required;   // a file without this column is not a result file
  bool varlen = false;  // written only in files with variable-length batches (csv_header)
};

std::string text(double x) { return round_trip_text(x); }
std::string text(const std::optional<double>& x) { return x ? round_trip_text(*x) : std::string(); }

// Measurements of a row that was never measured are 0 in Row; an empty cell says so better (pandas
// reads NaN, not a zero time). Empty reads back as 0, so the round trip stays exact.
std::string measured(const Row& r, double x) {
  return (r.status != Status::ok && x == 0.0) ? std::string() : text(x);
}
// 0 MHz means "not read", never a real clock.
// Extra counters in one cell: "metric=value;metric=value" (metric names never hold ';' or '=').
std::string counters_text(const std::map<std::string, double>& m) {
  std::string out;
  for (const auto& [name, value] : m) out += (out.empty() ? "" : ";") + name + "=" + round_trip_text(value);
  return out;
}

std::string clock_text(double mhz) { return mhz == 0.0 ? std::string() : text(mhz); }

[[noreturn]] void expected(const char* what) { throw std::invalid_argument(std::string("expected ") + what); }

double to_double(std::string_view s) {
  if (auto v = parse_double_text(s)) return *v;
  expected("a number");
}
double to_double_or_zero(std::string_view s) { return s.empty() ? 0.0 : to_double(s); }
std::optional<double> to_optional(std::string_view s) {
  if (s.empty()) return std::nullopt;
  return to_double(s);
}
std::map<std::string, double> parse_counters_text(std::string_view s) {
  std::map<std::string, double> m;
  while (!s.empty()) {
    const std::size_t end = std::min(s.find(';'), s.size());
    const std::string_view item = s.substr(0, end);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0) expected("metric=value pairs separated by ';'");
    m[std::string(item.substr(0, eq))] = to_double(item.substr(eq + 1));
    s.remove_prefix(std::min(end + 1, s.size()));
  }
  return m;
}
std::int64_t to_int(std::string_view s) {
  if (auto v = parse_int64_text(s)) return *v;
  expected("an integer");
}
int to_int32(std::string_view s) {
  const std::int64_t v = to_int(s);
  if (v < INT32_MIN || v > INT32_MAX) expected("a 32-bit integer");
  return static_cast<int>(v);
}

std::optional<double> hbm_over_model(const Row& r) {
  const std::optional<double> measured = measured_hbm_bytes(r);
  if (!measured || !r.io_model_bytes || *r.io_model_bytes <= 0) return std::nullopt;
  return *measured / *r.io_model_bytes;
}

std::string varlen_stat(const Row& r, std::int64_t VarlenSummary::*field) {
  if (!r.point.problem.is_varlen()) return "";
  return std::to_string(summarize_lengths(r.point.problem.seqlens).*field);
}

// The lengths of a row's varlen batch from its distribution, batch and seed; "" when they agree.
std::string read_varlen_lengths(Problem& p) {
  if (p.varlen.empty()) return "";
  std::string why;
  const auto d = parse_varlen_dist(p.varlen, &why);
  if (!d) return "'" + p.varlen + "': " + why + " (accepted: " + std::string(kVarlenForms) + ")";
  p.seqlens = varlen_lengths(*d, p.batch, p.seed);
  if (static_cast<std::int64_t>(p.seqlens.size()) != p.batch) {
    return "'" + p.varlen + "' holds " + std::to_string(p.seqlens.size()) + " lengths, batch is " + std::to_string(p.batch);
  }
  return "";
}

#define FA_PROBLEM(field) r.point.problem.field
// The point: every axis that identifies it; first its shape.
std::vector<Column> point_shape_columns() {
  return {
      {"kernel", [](const Row& r) { return r.point.kernel; },
       [](Row& r, std::string_view s) {
         if (s.empty()) expected("a kernel name");
         r.point.kernel = std::string(s);
       },
       true},
      {"pass", [](const Row& r) { return std::string(to_string(r.point.pass)); },
       [](Row& r, std::string_view s) {
         auto p = parse_pass(s);
         if (!p) expected("a pass (fwd, bwd, fwdbwd)");
         r.point.pass = *p;
       },
       true},
      {"batch", [](const Row& r) { return std::to_string(FA_PROBLEM(batch)); },
       [](Row& r, std::string_view s) { FA_PROBLEM(batch) = to_int(s); }, true},
      {"heads", [](const Row& r) { return std::to_string(FA_PROBLEM(heads)); },
       [](Row& r, std::string_view s) { FA_PROBLEM(heads) = to_int(s); }, true},
      // Written as a count; stored 0 when it equals heads (normalised after the row is read). Files
      // from before the axis have no such column: as many K/V heads as query heads.
      {"kv_heads", [](const Row& r) { return std::to_string(r.point.problem.num_kv_heads()); },
       [](Row& r, std::string_view s) { FA_PROBLEM(kv_heads) = s.empty() ? 0 : to_int(s); }, false},
      {"seqlen_q", [](const Row& r) { return std::to_string(FA_PROBLEM(seqlen_q)); },
       [](Row& r, std::string_view s) { FA_PROBLEM(seqlen_q) = to_int(s); }, true},
      {"seqlen_kv", [](const Row& r) { return std::to_string(FA_PROBLEM(seqlen_kv)); },
       [](Row& r, std::string_view s) { FA_PROBLEM(seqlen_kv) = to_int(s); }, true},
  };
}

// Variable-length batches: the distribution (read back; the lengths follow from it, the batch and the
// seed), and the summary of its lengths (derived). Count = batch.
std::vector<Column> varlen_columns() {
  return {
      {"varlen", [](const Row& r) { return FA_PROBLEM(varlen); },
       [](Row& r, std::string_view s) { FA_PROBLEM(varlen) = std::string(s); }, false, true},
      {"varlen_tokens", [](const Row& r) { return varlen_stat(r, &VarlenSummary::tokens); }, nullptr, false, true},
      {"varlen_min", [](const Row& r) { return varlen_stat(r, &VarlenSummary::min); }, nullptr, false, true},
      {"varlen_median", [](const Row& r) { return varlen_stat(r, &VarlenSummary::median); }, nullptr, false, true},
      {"varlen_max", [](const Row& r) { return varlen_stat(r, &VarlenSummary::max); }, nullptr, false, true},
  };
}

// The point's other settings.
std::vector<Column> point_setting_columns() {
  return {
      {"head_dim", [](const Row& r) { return std::to_string(FA_PROBLEM(head_dim)); },
       [](Row& r, std::string_view s) { FA_PROBLEM(head_dim) = to_int(s); }, true},
      {"dtype", [](const Row& r) { return std::string(to_string(FA_PROBLEM(dtype))); },
       [](Row& r, std::string_view s) {
         auto d = parse_dtype(s);
         if (!d) expected(("a dtype (" + std::string(kDTypeNames) + ")").c_str());
         FA_PROBLEM(dtype) = *d;
       },
       true},
      {"dropout", [](const Row& r) { return text(FA_PROBLEM(dropout)); },
       [](Row& r, std::string_view s) { FA_PROBLEM(dropout) = to_double(s); }, true},
      {"dropout_used", [](const Row& r) { return text(r.dropout_used); },
       [](Row& r, std::string_view s) { r.dropout_used = to_optional(s); }, false},
      {"causal", [](const Row& r) { return std::string(FA_PROBLEM(causal) ? "true" : "false"); },
       [](Row& r, std::string_view s) {
         auto b = parse_bool_text(s);
         if (!b) expected("true or false");
         FA_PROBLEM(causal) = *b;
       },
       true},
      // Effective scale; normalised back to softmax_scale after the whole row is read.
      {"scale", [](const Row& r) { return text(r.point.problem.scale()); },
       [](Row& r, std::string_view s) { FA_PROBLEM(softmax_scale) = to_double(s); }, true},
      {"layout", [](const Row& r) { return std::string(to_string(FA_PROBLEM(layout))); },
       [](Row& r, std::string_view s) {
         auto l = parse_layout(s);
         if (!l) expected("a layout (bhnd, bnhd)");
         FA_PROBLEM(layout) = *l;
       },
       true},
      {"sparsity", [](const Row& r) { return FA_PROBLEM(sparsity.pattern); },
       [](Row& r, std::string_view s) {
         if (!is_known_sparsity(s)) expected("a sparsity pattern (dense, causal-blocks, local, strided, random, butterfly)");
         FA_PROBLEM(sparsity.pattern) = std::string(s);
       },
       true},
      {"density", [](const Row& r) { return text(FA_PROBLEM(sparsity.density)); },
       [](Row& r, std::string_view s) { FA_PROBLEM(sparsity.density) = to_double(s); }, true},
      {"block_q", [](const Row& r) { return std::to_string(FA_PROBLEM(sparsity.block_q)); },
       [](Row& r, std::string_view s) { FA_PROBLEM(sparsity.block_q) = to_int32(s); }, true},
      {"block_k", [](const Row& r) { return std::to_string(FA_PROBLEM(sparsity.block_k)); },
       [](Row& r, std::string_view s) { FA_PROBLEM(sparsity.block_k) = to_int32(s); }, true},
      {"seed", [](const Row& r) { return std::to_string(FA_PROBLEM(seed)); },
       [](Row& r, std::string_view s) {
         auto v = parse_uint64_text(s);
         if (!v) expected("an unsigned integer");
         FA_PROBLEM(seed) = *v;
       },
       false},
  };
}

// What became of it: status, where and how it was timed, the time statistics and FLOPs.
std::vector<Column> timing_columns() {
  return {
      {"status", [](const Row& r) { return std::string(to_string(r.status)); },
       [](Row& r, std::string_view s) {
         auto st = parse_status(s);
         if (!st) expected("a status (ok, oom, unsupported, error, planned)");
         r.status = *st;
       },
       true},
      {"reason", [](const Row& r) { return r.reason; }, [](Row& r, std::string_view s) { r.reason = s; }, false},
      {"backend", [](const Row& r) { return r.backend; }, [](Row& r, std::string_view s) { r.backend = s; }, false},
      {"device", [](const Row& r) { return r.device; }, [](Row& r, std::string_view s) { r.device = s; }, false},
      {"timing_mode", [](const Row& r) { return r.timing_mode; },
       [](Row& r, std::string_view s) { r.timing_mode = s; }, false},
      {"median_ms", [](const Row& r) { return measured(r, r.time.median_ms); },
       [](Row& r, std::string_view s) { r.time.median_ms = to_double_or_zero(s); }, false},
      {"mean_ms", [](const Row& r) { return measured(r, r.time.mean_ms); },
       [](Row& r, std::string_view s) { r.time.mean_ms = to_double_or_zero(s); }, false},
      {"min_ms", [](const Row& r) { return measured(r, r.time.min_ms); },
       [](Row& r, std::string_view s) { r.time.min_ms = to_double_or_zero(s); }, false},
      {"max_ms", [](const Row& r) { return measured(r, r.time.max_ms); },
       [](Row& r, std::string_view s) { r.time.max_ms = to_double_or_zero(s); }, false},
      {"stddev_ms", [](const Row& r) { return measured(r, r.time.stddev_ms); },
       [](Row& r, std::string_view s) { r.time.stddev_ms = to_double_or_zero(s); }, false},
      {"cv", [](const Row& r) { return measured(r, r.time.cv); },
       [](Row& r, std::string_view s) { r.time.cv = to_double_or_zero(s); }, false},
      {"ci_low_ms", [](const Row& r) { return measured(r, r.time.ci_low_ms); },
       [](Row& r, std::string_view s) { r.time.ci_low_ms = to_double_or_zero(s); }, false},
      {"ci_high_ms", [](const Row& r) { return measured(r, r.time.ci_high_ms); },
       [](Row& r, std::string_view s) { r.time.ci_high_ms = to_double_or_zero(s); }, false},
      {"samples",
       [](const Row& r) {
         return (r.status != Status::ok && r.time.samples == 0) ? std::string() : std::to_string(r.time.samples);
       },
       [](Row& r, std::string_view s) { r.time.samples = s.empty() ? 0 : to_int(s); }, false},
      {"flops", [](const Row& r) { return measured(r, r.flops); },
       [](Row& r, std::string_view s) { r.flops = to_double_or_zero(s); }, false},
      {"tflops", [](const Row& r) { return measured(r, r.tflops); },
       [](Row& r, std::string_view s) { r.tflops = to_double_or_zero(s); }, false},
  };
}

// Memory, and HBM traffic from the counters beside the IO model's prediction.
std::vector<Column> memory_and_traffic_columns() {
  return {
      {"mask_density", [](const Row& r) { return text(r.mask_density); },
       [](Row& r, std::string_view s) { r.mask_density = s.empty() ? 1.0 : to_double(s); }, false},
      {"mem_io_bytes", [](const Row& r) { return text(r.mem_io_bytes); },
       [](Row& r, std::string_view s) { r.mem_io_bytes = to_optional(s); }, false},
      {"mem_scratch_peak_bytes", [](const Row& r) { return text(r.mem_scratch_peak_bytes); },
       [](Row& r, std::string_view s) { r.mem_scratch_peak_bytes = to_optional(s); }, false},
      {"mem_device_peak_bytes", [](const Row& r) { return text(r.mem_device_peak_bytes); },
       [](Row& r, std::string_view s) { r.mem_device_peak_bytes = to_optional(s); }, false},
      {"hbm_read_bytes", [](const Row& r) { return text(r.hbm_read_bytes); },
       [](Row& r, std::string_view s) { r.hbm_read_bytes = to_optional(s); }, false},
      {"hbm_write_bytes", [](const Row& r) { return text(r.hbm_write_bytes); },
       [](Row& r, std::string_view s) { r.hbm_write_bytes = to_optional(s); }, false},
      {"l2_bytes", [](const Row& r) { return text(r.l2_bytes); },
       [](Row& r, std::string_view s) { r.l2_bytes = to_optional(s); }, false},
      {"counter_time_ms", [](const Row& r) { return text(r.counter_time_ms); },
       [](Row& r, std::string_view s) { r.counter_time_ms = to_optional(s); }, false},
      {"counters_note", [](const Row& r) { return r.counters_note; },
       [](Row& r, std::string_view s) { r.counters_note = s; }, false},
      {"io_model_bytes", [](const Row& r) { return text(r.io_model_bytes); },
       [](Row& r, std::string_view s) { r.io_model_bytes = to_optional(s); }, false},
      {"hbm_measured_over_model", [](const Row& r) { return text(hbm_over_model(r)); }, nullptr, false},
      {"achieved_hbm_gbps", [](const Row& r) { return text(r.achieved_hbm_gbps); },
       [](Row& r, std::string_view s) { r.achieved_hbm_gbps = to_optional(s); }, false},
      {"arithmetic_intensity", [](const Row& r) { return text(r.arithmetic_intensity); },
       [](Row& r, std::string_view s) { r.arithmetic_intensity = to_optional(s); }, false},
      {"pct_peak_bandwidth", [](const Row& r) { return text(r.pct_peak_bandwidth); },
       [](Row& r, std::string_view s) { r.pct_peak_bandwidth = to_optional(s); }, false},
      {"pct_peak_flops", [](const Row& r) { return text(r.pct_peak_flops); },
       [](Row& r, std::string_view s) { r.pct_peak_flops = to_optional(s); }, false},
      {"extra_counters", [](const Row& r) { return counters_text(r.extra_counters); },
       [](Row& r, std::string_view s) { r.extra_counters = parse_counters_text(s); }, false},
  };
}

// The correctness check, the SM clocks, and the key that matches points across files.
std::vector<Column> check_and_clock_columns() {
  return {
      {"max_rel_error", [](const Row& r) { return text(r.max_rel_error); },
       [](Row& r, std::string_view s) { r.max_rel_error = to_optional(s); }, false},
      {"tolerance", [](const Row& r) { return text(r.tolerance); },
       [](Row& r, std::string_view s) { r.tolerance = to_optional(s); }, false},
      {"check_note", [](const Row& r) { return r.check_note; },
       [](Row& r, std::string_view s) { r.check_note = s; }, false},
      {"sm_clock_start_mhz", [](const Row& r) { return clock_text(r.sm_clock_start_mhz); },
       [](Row& r, std::string_view s) { r.sm_clock_start_mhz = to_double_or_zero(s); }, false},
      {"sm_clock_end_mhz", [](const Row& r) { return clock_text(r.sm_clock_end_mhz); },
       [](Row& r, std::string_view s) { r.sm_clock_end_mhz = to_double_or_zero(s); }, false},
      {"sm_clock_sample_mhz", [](const Row& r) { return clock_text(r.sm_clock_sample_mhz); },
       [](Row& r, std::string_view s) { r.sm_clock_sample_mhz = to_double_or_zero(s); }, false},
      {"samples_dropped", [](const Row& r) { return std::to_string(r.samples_dropped); },
       [](Row& r, std::string_view s) { r.samples_dropped = static_cast<std::int64_t>(to_double_or_zero(s)); }, false},
      {"point_key", [](const Row& r) { return point_key(r.point); }, nullptr, false},
  };
}

// Every column, in file order.
const std::vector<Column>& columns() {
  static const std::vector<Column> cols = [] {
    std::vector<Column> all;
    for (std::vector<Column> (*group)() :
         {point_shape_columns, varlen_columns, point_setting_columns, timing_columns, memory_and_traffic_columns, check_and_clock_columns}) {
      const std::vector<Column> part = group();
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }();
  return cols;
}
#undef FA_PROBLEM

std::string join_line(const std::vector<std::string>& fields) {
  std::string line;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i) line += ',';
    line += csv_field(fields[i]);
  }
  return line;
}

}  // namespace

std::vector<std::string_view> csv_columns(bool varlen_columns) {
  std::vector<std::string_view> names;
  for (const Column& c : columns())
    if (varlen_columns || !c.varlen) names.push_back(c.name);
  return names;
}

std::string csv_header(bool varlen_columns) {
  std::vector<std::string> names;
  for (const Column& c : columns())
    if (varlen_columns || !c.varlen) names.emplace_back(c.name);
  return join_line(names);
}

std::string csv_row(const Row& row, bool varlen_columns) {
  std::vector<std::string> fields;
  fields.reserve(columns().size());
  for (const Column& c : columns())
    if (varlen_columns || !c.varlen) fields.push_back(c.write(row));
  return join_line(fields);
}

bool any_varlen(const std::vector<Row>& rows) {
  return std::any_of(rows.begin(), rows.end(), [](const Row& r) { return r.point.problem.is_varlen(); });
}

std::string csv_text(const std::vector<Row>& rows) {
  const bool varlen = any_varlen(rows);
  std::string out = csv_header(varlen) + '\n';
  for (const Row& r : rows) out += csv_row(r, varlen) + '\n';
  return out;
}

std::vector<Row> parse_csv(std::string_view text, const std::string& source, bool drop_cut_tail) {
  CsvRecords recs;
  try {
    recs = split_csv(text);
  } catch (const std::invalid_argument& e) {
    throw UsageError(source + ": " + e.what());
  }
  if (drop_cut_tail && !recs.ends_cleanly && !recs.records.empty()) {
    recs.records.pop_back();
    recs.first_lines.pop_back();
  }
  if (recs.records.empty()) throw UsageError(source + ": empty file, expected a CSV header line");

  // Map each known column to its position in this file's header.
  const std::vector<std::string>& header = recs.records.front();
  std::unordered_map<std::string, std::size_t> position;
  for (std::size_t i = 0; i < header.size(); ++i) position.emplace(header[i], i);
  std::vector<std::pair<const Column*, std::size_t>> readers;
  for (const Column& c : columns()) {
    auto it = position.find(std::string(c.name));
    if (it == position.end()) {
      if (c.required) {
        throw UsageError(source + ": not a fa-bench results CSV (no '" + std::string(c.name) + "' column)");
      }
      continue;
    }
    if (c.read) readers.emplace_back(&c, it->second);
  }

  std::vector<Row> rows;
  rows.reserve(recs.records.size() - 1);
  for (std::size_t i = 1; i < recs.records.size(); ++i) {
    const auto& fields = recs.records[i];
    const std::string where = source + ":" + std::to_string(recs.first_lines[i]);
    if (fields.size() != header.size()) {
      throw UsageError(where + ": " + std::to_string(fields.size()) + " fields, the header has " +
                       std::to_string(header.size()));
    }
    Row row;
    for (const auto& [col, pos] : readers) {
      try {
        col->read(row, fields[pos]);
      } catch (const std::invalid_argument& e) {
        throw UsageError(where + ": column '" + std::string(col->name) + "': '" + fields[pos] + "': " + e.what());
      }
    }
    Problem& p = row.point.problem;
    if (p.kv_heads != 0) {  // 0: an empty cell or a file from before the axis, read as MHA
      if (const std::string why = kv_heads_problem(p.heads, p.kv_heads); !why.empty()) {
        throw UsageError(where + ": column 'kv_heads': " + why);
      }
    }
    p.kv_heads = stored_kv_heads(p.heads, p.kv_heads);
    if (const std::string why = read_varlen_lengths(p); !why.empty()) throw UsageError(where + ": column 'varlen': " + why);
    if (p.head_dim > 0 && p.softmax_scale == 1.0 / std::sqrt(static_cast<double>(p.head_dim))) p.softmax_scale = 0.0;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<Row> read_csv(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(path + ": cannot open for reading");
  std::ostringstream buf;
  buf << in.rdbuf();
  return parse_csv(buf.str(), path);
}

}  // namespace fa
