#include "sweep/sweep_file.hpp"

#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/errors.hpp"

namespace fa {

namespace {

// ordered_json keeps the file's order, so listings show sweeps the way their author arranged them.
using Json = nlohmann::ordered_json;

constexpr std::string_view kBuiltinSource = "built-in sweeps";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError("cannot read sweep file '" + path.string() + "'");
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string accepted_keys() {
  std::string s = "description, parts";
  for (const auto n : sweep_axis_names()) s += ", " + std::string(n);
  return s;
}

// The document's "sweeps" object, checked for shape.
Json parse_sweeps(std::string_view text, std::string_view source) {
  Json doc;
  try {
    doc = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/true, /*ignore_comments=*/true);
  } catch (const Json::parse_error& e) {
    throw UsageError(std::string(source) + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object()) throw UsageError(std::string(source) + ": the top level must be an object {\"sweeps\": {...}}");
  for (const auto& [key, value] : doc.items()) {
    if (key != "sweeps") throw UsageError(std::string(source) + ": unknown top-level key '" + key + "' (accepted: sweeps)");
  }
  const auto it = doc.find("sweeps");
  if (it == doc.end() || !it->is_object()) {
    throw UsageError(std::string(source) + ": expected an object \"sweeps\": {\"NAME\": {...}}");
  }
  for (const auto& [name, sweep] : it->items()) {
    if (!sweep.is_object()) {
      throw UsageError(std::string(source) + ": sweep '" + name + "' must be an object of axis settings");
    }
  }
  return *it;
}

// One scalar of a sweep value in command-line syntax.
std::string scalar_text(const Json& v, const std::string& where) {
  if (v.is_string()) return v.get<std::string>();
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_number()) return v.dump();  // shortest text that reads back as the same number
  throw UsageError(where + ": expected a string, number, boolean or an array of those, got " + v.dump());
}

std::string value_text(const Json& v, const std::string& where) {
  if (!v.is_array()) return scalar_text(v, where);
  if (v.empty()) throw UsageError(where + ": the list is empty");
  std::string s;
  for (const auto& item : v) {
    if (!s.empty()) s += ',';
    s += scalar_text(item, where);
  }
  return s;
}

// One axis setting of a sweep or of one of its parts.
void apply_axis(SweepSpec& spec, const std::string& key, const Json& value, const std::string& where) {
  if (!is_sweep_axis(key) || key.rfind("--", 0) == 0) {
    throw UsageError(where + ": unknown key '" + key + "' (accepted: " + accepted_keys() + ")");
  }
  const std::string text = value_text(value, where + ": key '" + key + "'");
  try {
    set_axis(spec, key, text);
  } catch (const UsageError& e) {
    throw UsageError(where + ": " + e.what());
  }
}

// "parts": [{axis settings}, ...], each applied on top of the sweep's own settings (whatever the key
// order in the file), so a part says only what sets it apart.
std::vector<SweepSpec> apply_parts(const Json& parts, const SweepSpec& common, const std::string& where) {
  if (!parts.is_array() || parts.empty()) throw UsageError(where + ": key 'parts': expected a non-empty array of objects");
  std::vector<SweepSpec> out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string at = where + ": part " + std::to_string(i + 1);
    if (!parts[i].is_object()) throw UsageError(at + ": expected an object of axis settings");
    SweepSpec part = common;
    for (const auto& [key, value] : parts[i].items()) {
      if (key == "description" || key == "parts") throw UsageError(at + ": key '" + key + "' belongs to the sweep, not a part");
      apply_axis(part, key, value, at);
    }
    out.push_back(std::move(part));
  }
  return out;
}

SweepSpec apply_sweep(const Json& sweep, std::string_view source, std::string_view name, const SweepSpec& base) {
  SweepSpec spec = base;
  const std::string where = std::string(source) + ": sweep '" + std::string(name) + "'";
  const Json* parts = nullptr;
  for (const auto& [key, value] : sweep.items()) {
    if (key == "description") {
      if (!value.is_string()) throw UsageError(where + ": key 'description': expected a string");
      spec.description = value.get<std::string>();
    } else if (key == "parts") {
      parts = &value;
    } else {
      apply_axis(spec, key, value, where);
    }
  }
  if (parts != nullptr) spec.parts = apply_parts(*parts, spec, where);
  return spec;
}

std::string names_of(const Json& sweeps) {
  std::string s;
  for (const auto& [name, sweep] : sweeps.items()) s += (s.empty() ? "" : ", ") + name;
  return s.empty() ? "none" : s;
}

}  // namespace

SweepSpec load_sweep_text(std::string_view json_text, std::string_view source, std::string_view name,
                          const SweepSpec& base) {
  const Json sweeps = parse_sweeps(json_text, source);
  const auto it = sweeps.find(std::string(name));
  if (it == sweeps.end()) {
    throw UsageError(std::string(source) + ": no sweep named '" + std::string(name) +
                     "' (available: " + names_of(sweeps) + ")");
  }
  return apply_sweep(*it, source, name, base);
}

std::vector<SweepInfo> describe_sweeps_text(std::string_view json_text, std::string_view source) {
  const Json sweeps = parse_sweeps(json_text, source);
  std::vector<SweepInfo> out;
  for (const auto& [name, sweep] : sweeps.items()) {
    const auto d = sweep.find("description");
    out.push_back({name, d != sweep.end() && d->is_string() ? d->get<std::string>() : std::string()});
  }
  return out;
}

SweepSpec load_sweep(const std::filesystem::path& path, std::string_view name, const SweepSpec& base) {
  return load_sweep_text(read_file(path), path.string(), name, base);
}

std::vector<SweepInfo> describe_sweeps(const std::filesystem::path& path) {
  return describe_sweeps_text(read_file(path), path.string());
}

std::vector<std::string> list_sweeps(const std::filesystem::path& path) {
  std::vector<std::string> names;
  for (auto& info : describe_sweeps(path)) names.push_back(std::move(info.name));
  return names;
}

SweepSpec load_builtin_sweep(std::string_view name, const SweepSpec& base) {
  return load_sweep_text(builtin_sweeps(), kBuiltinSource, name, base);
}

std::vector<SweepInfo> describe_builtin_sweeps() { return describe_sweeps_text(builtin_sweeps(), kBuiltinSource); }

std::vector<std::string> list_builtin_sweeps() {
  std::vector<std::string> names;
  for (auto& info : describe_builtin_sweeps()) names.push_back(std::move(info.name));
  return names;
}

}  // namespace fa
