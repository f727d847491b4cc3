#include "kernels/registry.hpp"

#include <stdexcept>
#include <utility>

namespace fa {
namespace {

KernelEntry entry_from(std::string_view registered_name, const KernelFamily& face) {
  if (face.name != registered_name) {
    throw std::logic_error("kernel family registered as '" + std::string(registered_name) + "' calls itself '" +
                           std::string(face.name) + "' (a family's name is its folder's)");
  }
  KernelEntry e;
  static_cast<KernelFamily&>(e) = face;
  return e;
}

}  // namespace

std::string_view to_string(KernelState s) {
  switch (s) {
    case KernelState::available: return "available";
    case KernelState::unavailable: return "unavailable";
    case KernelState::planned: return "planned";
  }
  return "?";
}

KernelEntry built_family(std::string_view registered_name, const KernelFamily& face, FamilyBuild build) {
  KernelEntry e = entry_from(registered_name, face);
  if (!build.factory) throw std::logic_error("kernel family '" + std::string(e.name) + "' is built but has no factory");
  e.state = KernelState::available;
  e.build = std::move(build);
  return e;
}

KernelEntry unbuilt_family(std::string_view registered_name, const KernelFamily& face, KernelState state,
                           std::string_view why) {
  KernelEntry e = entry_from(registered_name, face);
  if (state == KernelState::available) throw std::logic_error("kernel family '" + std::string(e.name) + "' is not built");
  e.state = state;
  e.reason = "not built: " + std::string(why);
  return e;
}

KernelCatalog::KernelCatalog(std::vector<KernelEntry> entries) : entries_(std::move(entries)) {
  for (std::size_t i = 0; i < entries_.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (entries_[i].name == entries_[j].name)
        throw std::logic_error("kernel family '" + std::string(entries_[i].name) + "' registered twice");
}

const KernelEntry* KernelCatalog::find(std::string_view name) const {
  for (const KernelEntry& e : entries_)
    if (e.name == name) return &e;
  return nullptr;
}

std::unique_ptr<AttentionKernel> KernelCatalog::make(std::string_view name) const {
  const KernelEntry* e = find(name);
  if (!e || e->state != KernelState::available) return nullptr;
  return e->build.factory();
}

std::vector<std::string> KernelCatalog::names() const {
  std::vector<std::string> names;
  for (const KernelEntry& e : entries_) names.emplace_back(e.name);
  return names;
}

const KernelCatalog& kernel_catalog() {
  static const KernelCatalog catalog(registered_families());
  return catalog;
}

const KernelEntry* find_kernel_entry(std::string_view name) { return kernel_catalog().find(name); }

std::unique_ptr<AttentionKernel> make_kernel(std::string_view name) { return kernel_catalog().make(name); }

std::vector<LibraryVersion> loaded_library_versions(const KernelCatalog& catalog) {
  std::vector<LibraryVersion> versions;
  for (const KernelEntry& e : catalog) {
    if (e.state != KernelState::available || !e.build.library_versions) continue;
    for (LibraryVersion& v : e.build.library_versions()) versions.push_back(std::move(v));
  }
  return versions;
}

}  // namespace fa
