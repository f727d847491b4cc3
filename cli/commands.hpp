#pragma once
// Subcommand registration. Each add_* registers its flags on `app` and returns a callable that
// runs the command after parsing and returns the exit code.
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace fa::cli {

using Command = std::function<int()>;

Command add_run_command(CLI::App& app, const std::string& command_line);
Command add_list_command(CLI::App& app);
Command add_verify_command(CLI::App& app);
Command add_compare_command(CLI::App& app);
// argv as typed, so the printed ncu command reproduces this exact point.
Command add_profile_command(CLI::App& app, const std::vector<std::string>& argv);

}  // namespace fa::cli
