#pragma once
// The face of a kernel family: everything the rest of the program knows about it, supplied by the
// family's own folder (kernels/<name>/) and registered by one entry in FA_KERNEL_FAMILIES
// (kernels/CMakeLists.txt). Two functions per family, found by name:
//
//   KernelFamily <name>_family();  kernels/<name>/<name>_family.cpp: host C++ built in every
//                                  configuration (also without CUDA, also when the family's own
//                                  sources are not built), so the catalogue can list the family, the
//                                  sweep can expand its points and the IO model can predict its bytes.
//   FamilyBuild <name>_build();    in the family's built sources: what exists only when they are
//                                  compiled (the factory, the loaded libraries' versions).
//
// Why a family is not built (no CUDA, left out of FA_BENCH_FAMILIES, a dependency missing) is said
// once, by its CMakeLists.txt (cmake/FaKernelFamily.cmake), and reaches the catalogue from there.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/io_ledger.hpp"
#include "core/kernel.hpp"

namespace fa {

struct KernelFamily {
  std::string_view name;     // the folder's name: what --kernel and result rows call it
  std::string_view summary;  // one line for `fa-bench list`
  Backend backend = Backend::cuda;
  // Families that consume a block mask get the sweep's sparsity axis; others run dense only.
  bool uses_block_mask = false;
  // Its IO-model inputs (core/io_ledger.hpp); null: the model does not know this family.
  IoModelFn io_model = nullptr;
  // Runs points with fewer K/V heads than query heads (--kv-heads). A family that does not say so
  // gets those points as `unsupported` rows (refuse_grouped_kv's reason) before its supports() is
  // asked, so a family that has never heard of the axis cannot run them wrongly.
  bool grouped_kv = false;
  // Runs fp8 (E4M3 Q, K, V; bf16 O) forward points. Others get them as `unsupported` rows (refuse_fp8's
  // reason) before their supports() is asked; fp8 backward and dropout are refused for every family.
  bool fp8 = false;
  // Runs variable-length (packed) batches (--varlen): reads Operands::cu_seqlens and the packed
  // [tokens, H, D] tensors. A family that does not say so gets those points as `unsupported` rows
  // (refuse_varlen's reason) before its supports() is asked, as for grouped_kv.
  bool varlen = false;
};

// A library the family loads, for the run's metadata: `key` names the metadata field
// ("cudnn_version"), `version` is the loaded library's, not the headers'.
struct LibraryVersion {
  std::string key;
  std::string version;
};

struct FamilyBuild {
  std::unique_ptr<AttentionKernel> (*factory)() = nullptr;
  std::vector<LibraryVersion> (*library_versions)() = nullptr;  // null: loads no library worth naming
  // A condition only the running machine can answer (e.g. the family needs an sm_90 GPU): whether
  // CUDA device `device` can run the family, and why not. Null: any device of its backend can.
  Support (*usable_on)(int device) = nullptr;
};

}  // namespace fa
