#include "reports/json.hpp"

#include <cmath>
#include <fstream>
#include <sstream>

#include "core/errors.hpp"
#include "core/varlen.hpp"
#include "reports/number_text.hpp"

namespace fa {
namespace {

using nlohmann::json;

json number(double x) { return std::isfinite(x) ? json(x) : json(round_trip_text(x)); }
json number(const std::optional<double>& x) { return x ? number(*x) : json(nullptr); }

// Typed, lenient-on-absence access to one JSON object: a missing key gives the Row default (files
// from an older build of the same schema version still load), a wrong type is a UsageError that
// names the exact path ("results.json: rows[3].time.median_ms").
class Fields {
 public:
  Fields(const json& j, std::string where) : j_(j), where_(std::move(where)) {
    if (!j_.is_object()) fail(where_, "expected an object, got " + std::string(j_.type_name()));
  }

  [[noreturn]] static void fail(const std::string& where, const std::string& what) {
    throw UsageError(where + ": " + what);
  }
  std::string path(const char* key) const { return where_ + "." + key; }

  const json* find(const char* key) const {
    auto it = j_.find(key);
    return it == j_.end() ? nullptr : &*it;
  }

  Fields object(const char* key) const {
    static const json empty = json::object();
    const json* v = find(key);
    return Fields(v ? *v : empty, path(key));
  }

  std::string text(const char* key, std::string def = {}) const {
    const json* v = find(key);
    if (!v || v->is_null()) return def;
    if (!v->is_string()) fail(path(key), "expected a string, got " + std::string(v->type_name()));
    return v->get<std::string>();
  }

  // null reads as NaN: a writer that is not ours may have turned a NaN into null.
  static double to_double(const json& v, const std::string& where) {
    if (v.is_number()) return v.get<double>();
    if (v.is_null()) return std::nan("");
    if (v.is_string()) {
      if (auto d = parse_double_text(v.get<std::string>())) return *d;
    }
    fail(where, "expected a number, got " + v.dump());
  }
  double real(const char* key, double def) const {
    const json* v = find(key);
    return v ? to_double(*v, path(key)) : def;
  }
  std::optional<double> optional_real(const char* key) const {
    const json* v = find(key);
    if (!v || v->is_null()) return std::nullopt;
    return to_double(*v, path(key));
  }

  std::int64_t integer(const char* key, std::int64_t def) const {
    const json* v = find(key);
    if (!v) return def;
    if (!v->is_number_integer() || (v->is_number_unsigned() && v->get<std::uint64_t>() > INT64_MAX)) {
      fail(path(key), "expected an integer, got " + v->dump());
    }
    return v->get<std::int64_t>();
  }
  int integer32(const char* key, int def) const {
    const std::int64_t v = integer(key, def);
    if (v < INT32_MIN || v > INT32_MAX) fail(path(key), "out of range: " + std::to_string(v));
    return static_cast<int>(v);
  }
  std::uint64_t unsigned_integer(const char* key, std::uint64_t def) const {
    const json* v = find(key);
    if (!v) return def;
    if (!v->is_number_unsigned()) fail(path(key), "expected an unsigned integer, got " + v->dump());
    return v->get<std::uint64_t>();
  }
  bool boolean(const char* key, bool def) const {
    const json* v = find(key);
    if (!v) return def;
    if (!v->is_boolean()) fail(path(key), "expected true or false, got " + v->dump());
    return v->get<bool>();
  }

  // An enum field through its parse function; `accepted` lists the names for the message.
  template <class T, class Parse>
  T named(const char* key, Parse parse, T def, std::string_view accepted) const {
    const json* v = find(key);
    if (!v) return def;
    if (v->is_string()) {
      if (auto parsed = parse(v->get<std::string>())) return *parsed;
    }
    fail(path(key), v->dump() + " is not valid (accepted: " + std::string(accepted) + ")");
  }

 private:
  const json& j_;
  std::string where_;
};

// A varlen batch's distribution and lengths, read back: the lengths written must be the ones the
// distribution gives for the row's batch and seed (a hand-edited list would be another point).
void varlen_from_json(const Fields& f, Problem& p) {
  p.varlen = f.text("varlen");
  if (p.varlen.empty()) return;
  std::string why;
  const auto d = parse_varlen_dist(p.varlen, &why);
  if (!d) Fields::fail(f.path("varlen"), "'" + p.varlen + "': " + why + " (accepted: " + std::string(kVarlenForms) + ")");
  p.seqlens = varlen_lengths(*d, p.batch, p.seed);
  if (const json* v = f.find("seqlens")) {
    if (!v->is_array() || *v != json(p.seqlens)) {
      Fields::fail(f.path("seqlens"), "not the lengths '" + p.varlen + "' gives for batch " + std::to_string(p.batch) +
                                          " and seed " + std::to_string(p.seed));
    }
  }
  if (static_cast<std::int64_t>(p.seqlens.size()) != p.batch) {
    Fields::fail(f.path("varlen"), "'" + p.varlen + "' holds " + std::to_string(p.seqlens.size()) +
                                       " lengths, batch is " + std::to_string(p.batch));
  }
}

json problem_to_json(const Problem& p) {
  json j = {{"batch", p.batch},
          {"heads", p.heads},
          {"kv_heads", p.num_kv_heads()},
          {"seqlen_q", p.seqlen_q},
          {"seqlen_kv", p.seqlen_kv},
          {"head_dim", p.head_dim},
          {"dtype", to_string(p.dtype)},
          {"dropout", number(p.dropout)},
          {"causal", p.causal},
          {"softmax_scale", number(p.softmax_scale)},
          {"seed", p.seed},
          {"layout", to_string(p.layout)},
          {"sparsity",
           {{"pattern", p.sparsity.pattern},
            {"density", number(p.sparsity.density)},
            {"block_q", p.sparsity.block_q},
            {"block_k", p.sparsity.block_k}}}};
  if (p.is_varlen()) {  // absent otherwise: files without varlen batches keep their fields
    j["varlen"] = p.varlen;
    j["seqlens"] = p.seqlens;
  }
  return j;
}

Problem problem_from_json(const Fields& f) {
  Problem p;
  p.batch = f.integer("batch", p.batch);
  p.heads = f.integer("heads", p.heads);
  const std::int64_t kv_heads = f.integer("kv_heads", p.heads);  // absent in files before the axis
  if (const std::string why = kv_heads_problem(p.heads, kv_heads); !why.empty()) Fields::fail(f.path("kv_heads"), why);
  p.kv_heads = stored_kv_heads(p.heads, kv_heads);
  p.seqlen_q = f.integer("seqlen_q", p.seqlen_q);
  p.seqlen_kv = f.integer("seqlen_kv", p.seqlen_kv);
  p.head_dim = f.integer("head_dim", p.head_dim);
  p.dtype = f.named("dtype", parse_dtype, p.dtype, kDTypeNames);
  p.dropout = f.real("dropout", p.dropout);
  p.causal = f.boolean("causal", p.causal);
  p.softmax_scale = f.real("softmax_scale", p.softmax_scale);
  p.seed = f.unsigned_integer("seed", p.seed);
  p.layout = f.named("layout", parse_layout, p.layout, kLayoutNames);
  const Fields s = f.object("sparsity");
  p.sparsity.pattern = s.text("pattern", p.sparsity.pattern);
  if (!is_known_sparsity(p.sparsity.pattern)) {
    Fields::fail(s.path("pattern"), "'" + p.sparsity.pattern + "' is not valid (accepted: " +
                                        std::string(kSparsityNames) + ")");
  }
  p.sparsity.density = s.real("density", p.sparsity.density);
  p.sparsity.block_q = s.integer32("block_q", p.sparsity.block_q);
  p.sparsity.block_k = s.integer32("block_k", p.sparsity.block_k);
  varlen_from_json(f, p);
  return p;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(path + ": cannot open for reading");
  std::ostringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

}  // namespace

json row_to_json(const Row& r) {
  json samples = json::array();
  for (double s : r.samples_ms) samples.push_back(number(s));
  json clocks = json::array();
  for (double c : r.samples_clock_mhz) clocks.push_back(number(c));
  return {
      {"point", {{"kernel", r.point.kernel}, {"pass", to_string(r.point.pass)}, {"problem", problem_to_json(r.point.problem)}}},
      {"point_key", point_key(r.point)},
      {"dropout_used", number(r.dropout_used)},
      {"status", to_string(r.status)},
      {"reason", r.reason},
      {"backend", r.backend},
      {"device", r.device},
      {"timing_mode", r.timing_mode},
      {"time",
       {{"median_ms", number(r.time.median_ms)},
        {"mean_ms", number(r.time.mean_ms)},
        {"min_ms", number(r.time.min_ms)},
        {"max_ms", number(r.time.max_ms)},
        {"stddev_ms", number(r.time.stddev_ms)},
        {"cv", number(r.time.cv)},
        {"ci_low_ms", number(r.time.ci_low_ms)},
        {"ci_high_ms", number(r.time.ci_high_ms)},
        {"samples", r.time.samples}}},
      {"samples_ms", std::move(samples)},
      {"flops", number(r.flops)},
      {"tflops", number(r.tflops)},
      {"mask_density", number(r.mask_density)},
      {"mem_io_bytes", number(r.mem_io_bytes)},
      {"mem_scratch_peak_bytes", number(r.mem_scratch_peak_bytes)},
      {"mem_device_peak_bytes", number(r.mem_device_peak_bytes)},
      {"hbm_read_bytes", number(r.hbm_read_bytes)},
      {"hbm_write_bytes", number(r.hbm_write_bytes)},
      {"l2_bytes", number(r.l2_bytes)},
      {"counter_time_ms", number(r.counter_time_ms)},
      {"io_model_bytes", number(r.io_model_bytes)},
      {"counters_note", r.counters_note},
      {"extra_counters", r.extra_counters},
      {"achieved_hbm_gbps", number(r.achieved_hbm_gbps)},
      {"arithmetic_intensity", number(r.arithmetic_intensity)},
      {"pct_peak_bandwidth", number(r.pct_peak_bandwidth)},
      {"pct_peak_flops", number(r.pct_peak_flops)},
      {"max_rel_error", number(r.max_rel_error)},
      {"tolerance", number(r.tolerance)},
      {"check_note", r.check_note},
      {"sm_clock_start_mhz", number(r.sm_clock_start_mhz)},
      {"sm_clock_end_mhz", number(r.sm_clock_end_mhz)},
      {"sm_clock_sample_mhz", number(r.sm_clock_sample_mhz)},
      {"samples_dropped", r.samples_dropped},
      {"samples_clock_mhz", std::move(clocks)},
  };
}

Row row_from_json(const json& j, const std::string& where) {
  const Fields f(j, where);
  Row r;
  const json* point = f.find("point");
  if (!point) Fields::fail(where, "no \"point\"");
  const Fields pt(*point, f.path("point"));
  r.point.kernel = pt.text("kernel");
  if (r.point.kernel.empty()) Fields::fail(pt.path("kernel"), "missing or empty kernel name");
  if (!pt.find("pass")) Fields::fail(pt.path("pass"), "missing");
  r.point.pass = pt.named("pass", parse_pass, Pass::fwd, kPassNames);
  r.point.problem = problem_from_json(pt.object("problem"));

  r.dropout_used = f.optional_real("dropout_used");
  r.status = f.named("status", parse_status, Status::ok, "ok, oom, unsupported, error, planned");
  r.reason = f.text("reason");
  r.backend = f.text("backend");
  r.device = f.text("device");
  r.timing_mode = f.text("timing_mode");

  const Fields t = f.object("time");
  r.time.median_ms = t.real("median_ms", 0);
  r.time.mean_ms = t.real("mean_ms", 0);
  r.time.min_ms = t.real("min_ms", 0);
  r.time.max_ms = t.real("max_ms", 0);
  r.time.stddev_ms = t.real("stddev_ms", 0);
  r.time.cv = t.real("cv", 0);
  r.time.ci_low_ms = t.real("ci_low_ms", 0);
  r.time.ci_high_ms = t.real("ci_high_ms", 0);
  r.time.samples = t.integer("samples", 0);

  for (const auto& [key, out] : {std::pair{"samples_ms", &r.samples_ms}, {"samples_clock_mhz", &r.samples_clock_mhz}}) {
    const json* s = f.find(key);
    if (!s || s->is_null()) continue;
    if (!s->is_array()) Fields::fail(f.path(key), "expected an array");
    for (std::size_t i = 0; i < s->size(); ++i) {
      out->push_back(Fields::to_double((*s)[i], f.path(key) + "[" + std::to_string(i) + "]"));
    }
  }

  r.flops = f.real("flops", 0);
  r.tflops = f.real("tflops", 0);
  r.mask_density = f.real("mask_density", 1.0);
  r.mem_io_bytes = f.optional_real("mem_io_bytes");
  r.mem_scratch_peak_bytes = f.optional_real("mem_scratch_peak_bytes");
  r.mem_device_peak_bytes = f.optional_real("mem_device_peak_bytes");
  r.hbm_read_bytes = f.optional_real("hbm_read_bytes");
  r.hbm_write_bytes = f.optional_real("hbm_write_bytes");
  r.l2_bytes = f.optional_real("l2_bytes");
  r.counter_time_ms = f.optional_real("counter_time_ms");
  r.io_model_bytes = f.optional_real("io_model_bytes");
  r.counters_note = f.text("counters_note");
  if (j.contains("extra_counters") && j.at("extra_counters").is_object()) {
    for (const auto& [name, value] : j.at("extra_counters").items())
      if (value.is_number()) r.extra_counters[name] = value.get<double>();
  }
  r.achieved_hbm_gbps = f.optional_real("achieved_hbm_gbps");
  r.arithmetic_intensity = f.optional_real("arithmetic_intensity");
  r.pct_peak_bandwidth = f.optional_real("pct_peak_bandwidth");
  r.pct_peak_flops = f.optional_real("pct_peak_flops");
  r.max_rel_error = f.optional_real("max_rel_error");
  r.tolerance = f.optional_real("tolerance");
  r.check_note = f.text("check_note");
  r.sm_clock_start_mhz = f.real("sm_clock_start_mhz", 0);
  r.sm_clock_end_mhz = f.real("sm_clock_end_mhz", 0);
  r.sm_clock_sample_mhz = f.real("sm_clock_sample_mhz", 0);
  r.samples_dropped = f.integer("samples_dropped", 0);
  return r;
}

json metadata_to_json(const RunMetadata& m) {
  json j = json::object();
  for (const MetadataField& field : metadata_fields()) j[std::string(field.name)] = m.*field.member;
  for (const auto& [key, value] : m.extra) j[key] = value;
  return j;
}

RunMetadata metadata_from_json(const json& j, const std::string& where) {
  if (!j.is_object()) Fields::fail(where, "expected an object, got " + std::string(j.type_name()));
  RunMetadata m;
  for (const auto& [key, value] : j.items()) {
    const MetadataField* known = nullptr;
    for (const MetadataField& field : metadata_fields()) {
      if (field.name == key) known = &field;
    }
    if (known) {
      if (!value.is_string() && !value.is_null()) Fields::fail(where + "." + key, "expected a string, got " + value.dump());
      m.*known->member = value.is_string() ? value.get<std::string>() : std::string();
    } else {
      m.extra[key] = value.is_string() ? value.get<std::string>() : value.dump();
    }
  }
  return m;
}

json results_to_json(const RunMetadata& m, const std::vector<Row>& rows) {
  json j_rows = json::array();
  for (const Row& r : rows) j_rows.push_back(row_to_json(r));
  return {{"schema", kResultsSchema},
          {"schema_version", kResultsSchemaVersion},
          {"metadata", metadata_to_json(m)},
          {"rows", std::move(j_rows)}};
}

std::string results_json_text(const RunMetadata& m, const std::vector<Row>& rows) {
  return results_to_json(m, rows).dump(2) + "\n";
}

ResultFile results_from_json(const json& j, const std::string& source) {
  if (!j.is_object()) throw UsageError(source + ": not a fa-bench results file (expected a JSON object)");
  auto schema = j.find("schema");
  if (schema == j.end() || !schema->is_string()) {
    throw UsageError(source + ": not a fa-bench results file (no \"schema\": \"" + std::string(kResultsSchema) + "\")");
  }
  if (schema->get<std::string>() != kResultsSchema) {
    throw UsageError(source + ": schema '" + schema->get<std::string>() + "' is not a fa-bench results file (expected '" +
                     std::string(kResultsSchema) + "')");
  }
  auto version = j.find("schema_version");
  if (version == j.end() || !version->is_number_integer()) {
    throw UsageError(source + ": no integer \"schema_version\"");
  }
  if (version->get<std::int64_t>() != kResultsSchemaVersion) {
    throw UsageError(source + ": schema_version " + version->dump() + " is not supported (this fa-bench reads version " +
                     std::to_string(kResultsSchemaVersion) + ")");
  }
  ResultFile out;
  if (auto meta = j.find("metadata"); meta != j.end()) out.metadata = metadata_from_json(*meta, source + ": metadata");
  auto rows = j.find("rows");
  if (rows == j.end() || !rows->is_array()) throw UsageError(source + ": no \"rows\" array");
  out.rows.reserve(rows->size());
  for (std::size_t i = 0; i < rows->size(); ++i) {
    out.rows.push_back(row_from_json((*rows)[i], source + ": rows[" + std::to_string(i) + "]"));
  }
  return out;
}

ResultFile read_results_json(const std::string& path) {
  const std::string text = read_file(path);
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    throw UsageError(path + ": malformed JSON: " + e.what());
  }
  return results_from_json(j, path);
}

void to_json(json& j, const Row& row) { j = row_to_json(row); }
void from_json(const json& j, Row& row) { row = row_from_json(j); }
void to_json(json& j, const RunMetadata& m) { j = metadata_to_json(m); }
void from_json(const json& j, RunMetadata& m) { m = metadata_from_json(j); }

}  // namespace fa
