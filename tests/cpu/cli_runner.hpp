#pragma once
// Runs the fa-bench command line in-process (fa::cli::run_cli) with stdout and stderr redirected
// to temporary files, for tests of exit codes and printed output.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <sstream>
#include <string>
#include <vector>

#include "cli/app.hpp"

namespace fa::testing {

struct CliResult {
  int code;
  std::string out, err;
};

inline std::string read_text_file(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

inline CliResult run_fa_bench(const std::vector<std::string>& args) {
  std::vector<std::string> storage{"fa-bench"};
  storage.insert(storage.end(), args.begin(), args.end());
  std::vector<const char*> argv;
  for (const std::string& a : storage) argv.push_back(a.c_str());
  const auto dir = std::filesystem::temp_directory_path();
  const auto out_path = dir / ("fa_cli_out_" + std::to_string(getpid()));
  const auto err_path = dir / ("fa_cli_err_" + std::to_string(getpid()));
  std::fflush(nullptr);
  const int saved_out = dup(1), saved_err = dup(2);
  FILE* fo = std::fopen(out_path.c_str(), "w");
  FILE* fe = std::fopen(err_path.c_str(), "w");
  dup2(fileno(fo), 1);
  dup2(fileno(fe), 2);
  const int code = fa::cli::run_cli(static_cast<int>(argv.size()), argv.data());
  std::fflush(nullptr);
  dup2(saved_out, 1);
  dup2(saved_err, 2);
  close(saved_out);
  close(saved_err);
  std::fclose(fo);
  std::fclose(fe);
  CliResult r{code, read_text_file(out_path), read_text_file(err_path)};
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return r;
}

}  // namespace fa::testing
