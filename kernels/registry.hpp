#pragma once
// The catalogue of kernel families: every family registered in FA_KERNEL_FAMILIES
// (kernels/CMakeLists.txt), with its face (kernels/family.hpp) and whether this build has it.
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kernels/family.hpp"

namespace fa {

// available: built here. unavailable: left out by this build's configuration (no CUDA,
// FA_BENCH_FAMILIES). planned: wanted, but a dependency is missing (the reason says which).
enum class KernelState { available, unavailable, planned };
std::string_view to_string(KernelState s);

struct KernelEntry : KernelFamily {
  KernelState state = KernelState::planned;
  std::string reason;  // why not available ("not built: ..."); empty when available
  FamilyBuild build;   // empty unless available
};

// What the generated registration (family_list.cpp) makes of each FA_KERNEL_FAMILIES entry. Both
// check that the face's name is the registered one (the folder's).
KernelEntry built_family(std::string_view registered_name, const KernelFamily& face, FamilyBuild build);
KernelEntry unbuilt_family(std::string_view registered_name, const KernelFamily& face, KernelState state,
                           std::string_view why);

// The generated registration: one entry per FA_KERNEL_FAMILIES entry, in its order.
std::vector<KernelEntry> registered_families();

class KernelCatalog {
 public:
  // Throws std::logic_error on a family registered twice.
  explicit KernelCatalog(std::vector<KernelEntry> entries);
  std::vector<KernelEntry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<KernelEntry>::const_iterator end() const { return entries_.end(); }
  std::size_t size() const { return entries_.size(); }
  const KernelEntry* find(std::string_view name) const;
  // A fresh instance of an available family's kernel; nullptr if it is not available here.
  std::unique_ptr<AttentionKernel> make(std::string_view name) const;
  std::vector<std::string> names() const;

 private:
  std::vector<KernelEntry> entries_;
};

// The families of this build.
const KernelCatalog& kernel_catalog();
const KernelEntry* find_kernel_entry(std::string_view name);
std::unique_ptr<AttentionKernel> make_kernel(std::string_view name);

// Versions of the libraries the available families load, for the run metadata.
std::vector<LibraryVersion> loaded_library_versions(const KernelCatalog& catalog = kernel_catalog());

}  // namespace fa
