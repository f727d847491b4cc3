#include "cli/app.hpp"

#include <cstdio>
#include <exception>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include "cli/commands.hpp"
#include "core/errors.hpp"
#include "kernels/registry.hpp"

namespace fa::cli {

int run_cli(int argc, const char* const* argv) {
  std::string command_line;
  std::vector<std::string> args;
  for (int i = 0; i < argc; ++i) {
    command_line += (i ? " " : "") + std::string(argv[i]);
    args.emplace_back(argv[i]);
  }

  std::string families;  // the catalogue's, so a family registered later is named here too
  for (const std::string& name : kernel_catalog().names()) families += (families.empty() ? "" : ", ") + name;
  CLI::App app{"fa-bench: benchmark and profile attention kernels (" + families + ")"};
  app.name("fa-bench");
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string("fa-bench ") + FA_VERSION + " (" + FA_GIT_COMMIT + ")");
  const Command run = add_run_command(app, command_line);
  const Command list = add_list_command(app);
  const Command verify = add_verify_command(app);
  const Command compare = add_compare_command(app);
  const Command profile = add_profile_command(app, args);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);  // prints help or the error message
    return code == 0 ? 0 : 2;      // every usage error exits 2
  }
  try {
    if (app.got_subcommand("run")) return run();
    if (app.got_subcommand("list")) return list();
    if (app.got_subcommand("verify")) return verify();
    if (app.got_subcommand("compare")) return compare();
    if (app.got_subcommand("profile")) return profile();
  } catch (const UsageError& e) {
    fmt::print(stderr, "fa-bench: error: {}\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    fmt::print(stderr, "fa-bench: fatal: {}\n", e.what());
    return 3;
  }
  return 2;
}

}  // namespace fa::cli
