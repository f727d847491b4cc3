#pragma once
// The fa-bench flags of fa-bench-gbench. They all start with --fa- so that they can sit on one
// command line with Google Benchmark's own --benchmark_* flags: take_fa_flags() removes them from
// argv before benchmark::Initialize() sees it (which would reject them as unrecognised).
//
//   --fa-sweep NAME, --fa-sweep-file PATH   a named sweep (built-in or from a file), as `fa-bench run`
//   --fa-<axis> VALUE                        any sweep axis of sweep/sweep_spec.hpp: --fa-kernel flash,
//                                            --fa-seqlen 512:4096:x2, --fa-head-dim 64,128, ...
//   --fa-hot                                 GPU: back-to-back launches (default: L2 flushed per iteration)
//   --fa-device N, --fa-data-seed N          CUDA device; seed of the random operands
//   --fa-help                                these flags
// Values go after a space or an '=' (--fa-seqlen=1024).
#include <cstdint>
#include <string>

#include "sweep/resolve.hpp"
#include "measure/sampler.hpp"

namespace fa::gbench {

struct Options {
  SweepFlags sweep;
  TimingMode mode = TimingMode::cold;
  int device = 0;
  std::uint64_t data_seed = 42;
  bool help = false;
};

// Parses and removes every --fa-* argument (and its value) from argv, compacting it and updating
// argc; other arguments are left in order for Google Benchmark. Throws UsageError naming the flag.
Options take_fa_flags(int& argc, char** argv);

// Help text for the --fa-* flags (one line per flag).
std::string fa_flags_help();

// The sweep library words its errors with the `fa-bench run` flag ("--seqlen: ..."); here the
// user typed --fa-seqlen. Returns the message with the flag renamed (other messages unchanged).
std::string reword_for_fa_flags(const std::string& message);

}  // namespace fa::gbench
