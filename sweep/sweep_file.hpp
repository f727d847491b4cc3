#pragma once
// Named sweeps in JSON files, and the built-in set compiled into the binary.
//
// Format:
//   {"sweeps": {
//      "NAME": {"description": "...", "kernel": ["standard", "flash"], "seqlen": "512:4096:x2",
//               "batch": [1, 2], "causal": [false, true], "tokens": 16384, ...}}}
// Keys of a sweep are "description" and the axis names of sweep_axes() ("head-dim"; "head_dim" is
// accepted too). A value is a string in command-line syntax, a number, a boolean, or an array of
// those; it is turned into the command-line string (array items joined by commas) and given to
// set_axis(), so a sweep file accepts exactly what the flags accept and fails the same way, with
// the file and sweep name in front. // and /* */ comments are allowed.
//
// Loading applies the sweep's keys on top of `base`; callers apply command-line flags afterwards
// so that flags override the file.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "sweep/sweep_spec.hpp"

namespace fa {

struct SweepInfo {
  std::string name;
  std::string description;
};

SweepSpec load_sweep(const std::filesystem::path& path, std::string_view name, const SweepSpec& base);
std::vector<std::string> list_sweeps(const std::filesystem::path& path);  // in file order
std::vector<SweepInfo> describe_sweeps(const std::filesystem::path& path);

// The same on JSON text; `source` names it in error messages (a path, or "built-in sweeps").
SweepSpec load_sweep_text(std::string_view json_text, std::string_view source, std::string_view name,
                          const SweepSpec& base);
std::vector<SweepInfo> describe_sweeps_text(std::string_view json_text, std::string_view source);

// Built-in sweeps (sweep/builtin_sweeps.cpp):
//   default        small GPU sweep: flash, standard, block_sparse, cudnn; B2 H8, seqlen 512..2048,
//                  head_dim 64,128, fp16, fwd,bwd (48 points before filtering to available kernels)
//   cpu-default    CPU reference sweep for machines without a GPU: 24 points of a few milliseconds
//   fa2-benchmark  the FlashAttention-2 paper grid: 16k tokens, hidden 2048, seqlen 512..16k,
//                  head_dim 64,128, causal both, bf16, fwd,fwdbwd
//   block-sparse   flash vs block_sparse over every mask pattern and three densities
//   smoke          tiny shapes (incl. a ragged length) over every kernel, for a quick correctness check
std::string_view builtin_sweeps();
SweepSpec load_builtin_sweep(std::string_view name, const SweepSpec& base);
std::vector<std::string> list_builtin_sweeps();
std::vector<SweepInfo> describe_builtin_sweeps();

}  // namespace fa
