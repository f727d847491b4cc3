#include "cli/sweep_flags.hpp"

#include "sweep/sweep_file.hpp"

namespace fa::cli {

void add_sweep_flags(CLI::App& cmd, SweepFlags& flags) {
  for (const AxisInfo& axis : sweep_axes()) {
    const std::string name(axis.name);
    cmd.add_option_function<std::string>(
           "--" + name, [&flags, name](const std::string& v) { flags.axis_values[name] = v; },
           std::string(axis.help))
        ->type_name(std::string(axis.syntax));
  }
  std::string builtins;
  for (const SweepInfo& s : describe_builtin_sweeps()) builtins += (builtins.empty() ? "" : ", ") + s.name;
  cmd.add_option("--sweep", flags.sweep_name,
                 "named sweep: built-in (" + builtins + ") or from --sweep-file; axis flags override its values");
  cmd.add_option("--sweep-file", flags.sweep_file, "JSON file of named sweeps (see docs/sweeps.md)");
}

}  // namespace fa::cli
