#include "gbench/gbench_flags.hpp"

#include <charconv>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

#include "core/errors.hpp"
#include "sweep/sweep_spec.hpp"

namespace fa::gbench {
namespace {

constexpr std::string_view kPrefix = "--fa-";

// Flags of this front end besides the sweep axes.
enum class Own { sweep, sweep_file, hot, device, data_seed, help };
struct OwnFlag {
  std::string_view name;  // without the "--fa-" prefix
  Own which;
  bool takes_value;
  std::string_view syntax, help;
};
constexpr OwnFlag kOwnFlags[] = {
    {"sweep", Own::sweep, true, "NAME", "named sweep: built-in (default, cpu-default, ...) or from --fa-sweep-file"},
    {"sweep-file", Own::sweep_file, true, "PATH", "JSON file of named sweeps (docs/sweeps.md)"},
    {"hot", Own::hot, false, "", "GPU kernels: back-to-back launches, L2 left warm (default: L2 flushed before each iteration)"},
    {"device", Own::device, true, "N", "CUDA device index (default 0)"},
    {"data-seed", Own::data_seed, true, "N", "seed of the random operands (default 42)"},
    {"help", Own::help, false, "", "this list"},
};

const OwnFlag* find_own(std::string_view name) {
  for (const OwnFlag& f : kOwnFlags)
    if (f.name == name) return &f;
  return nullptr;
}

std::string accepted_flags() {
  std::string s;
  for (const OwnFlag& f : kOwnFlags) s += (s.empty() ? "--fa-" : ", --fa-") + std::string(f.name);
  for (const AxisInfo& a : sweep_axes()) s += ", --fa-" + std::string(a.name);
  return s;
}

template <class T>
T parse_unsigned(const std::string& flag, const std::string& value, T max) {
  std::uint64_t v = 0;
  const char* end = value.data() + value.size();
  auto [ptr, ec] = std::from_chars(value.data(), end, v);
  if (value.empty() || ec != std::errc() || ptr != end || v > static_cast<std::uint64_t>(max))
    throw bad_value(flag, value, "an integer from 0 to " + std::to_string(max));
  return static_cast<T>(v);
}

}  // namespace

Options take_fa_flags(int& argc, char** argv) {
  Options o;
  std::vector<char*> rest;
  if (argc > 0) rest.push_back(argv[0]);
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.substr(0, kPrefix.size()) != kPrefix) {
      rest.push_back(argv[i]);
      continue;
    }
    const std::size_t eq = arg.find('=');
    std::string name(arg.substr(kPrefix.size(), eq == std::string_view::npos ? arg.npos : eq - kPrefix.size()));
    for (char& c : name)
      if (c == '_') c = '-';  // --fa-head_dim works like --fa-head-dim, as in sweep files
    const std::string flag = "--fa-" + name;
    const OwnFlag* own = find_own(name);
    if (!own && !is_sweep_axis(name))
      throw UsageError(std::string(arg) + ": unknown flag (accepted: " + accepted_flags() + ")");
    const bool takes_value = own ? own->takes_value : true;
    std::optional<std::string> value;
    if (eq != std::string_view::npos) {
      value = std::string(arg.substr(eq + 1));
    } else if (takes_value) {
      if (i + 1 >= argc) throw UsageError(flag + ": needs a value");
      value = argv[++i];
    }
    if (!takes_value) {
      if (value) throw UsageError(flag + ": takes no value");
    } else if (value->empty()) {
      throw UsageError(flag + ": needs a value");
    }
    if (!own) {
      // Validated later by the sweep library (set_axis), exactly as `fa-bench run` validates it.
      o.sweep.axis_values[name] = *value;
      continue;
    }
    switch (own->which) {
      case Own::sweep: o.sweep.sweep_name = *value; break;
      case Own::sweep_file: o.sweep.sweep_file = *value; break;
      case Own::hot: o.mode = TimingMode::hot; break;
      case Own::device: o.device = parse_unsigned<int>(flag, *value, std::numeric_limits<int>::max()); break;
      case Own::data_seed:
        o.data_seed = parse_unsigned<std::uint64_t>(flag, *value, std::numeric_limits<std::uint64_t>::max());
        break;
      case Own::help: o.help = true; break;
    }
  }
  const int original_argc = argc;
  for (std::size_t i = 0; i < rest.size(); ++i) argv[i] = rest[i];
  argc = static_cast<int>(rest.size());
  if (argc < original_argc) argv[argc] = nullptr;  // keeps the argv[argc] == nullptr convention
  return o;
}

std::string fa_flags_help() {
  std::string s =
      "fa-bench flags (any order, mixed with --benchmark_* flags; a value after a space or '='):\n";
  auto line = [&s](std::string_view name, std::string_view syntax, std::string_view help) {
    std::string left = "  --fa-" + std::string(name) + (syntax.empty() ? "" : " " + std::string(syntax));
    if (left.size() < 30) left.resize(30, ' ');
    s += left + " " + std::string(help) + "\n";
  };
  for (const OwnFlag& f : kOwnFlags) line(f.name, f.syntax, f.help);
  for (const AxisInfo& a : sweep_axes()) {
    // The axis help names the `fa-bench run` flags ("ignored with --tokens"): here they are --fa-.
    std::string help(a.help);
    for (std::size_t pos = 0; (pos = help.find("--", pos)) != std::string::npos; pos += 5) help.insert(pos + 2, "fa-");
    line(a.name, a.syntax, help);
  }
  s += "With no sweep flag: the built-in 'default' sweep on a GPU, 'cpu-default' (CPU reference) without one.\n";
  return s;
}

std::string reword_for_fa_flags(const std::string& message) {
  if (message.rfind("--", 0) != 0 || message.rfind("--fa-", 0) == 0) return message;
  const std::size_t colon = message.find(':');
  if (colon == std::string::npos) return message;
  const std::string name = message.substr(2, colon - 2);
  if (!is_sweep_axis(name) && name != "sweep" && name != "sweep-file") return message;
  return "--fa-" + message.substr(2);
}

}  // namespace fa::gbench
