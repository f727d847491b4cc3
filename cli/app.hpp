#pragma once
// The fa-bench command line: subcommands run, list, verify. Exit codes: 0 success, 1 a failure the
// command reports (failed correctness check, regression), 2 bad input (flag, value, file).
namespace fa::cli {

int run_cli(int argc, const char* const* argv);

}  // namespace fa::cli
