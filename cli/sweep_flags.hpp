#pragma once
// The sweep-describing flags shared by `run` and `verify`: one option per sweep axis, plus
// --sweep / --sweep-file. Values are parsed by sweep/ (set_axis), so errors read the same
// whether they come from a flag or from a sweep file.
#include <CLI/CLI.hpp>

#include "sweep/resolve.hpp"

namespace fa::cli {

void add_sweep_flags(CLI::App& cmd, SweepFlags& flags);

}  // namespace fa::cli
