#pragma once
// The catalogue of kernel families: what exists, what is built here, what is planned.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/kernel.hpp"

namespace fa {

enum class KernelState { available, unavailable, planned };

struct KernelEntry {
  std::string name;
  std::string summary;
  Backend backend;
  bool uses_block_mask = false;
  KernelState state = KernelState::planned;
  std::string reason;  // why unavailable / planned
  std::unique_ptr<AttentionKernel> (*factory)() = nullptr;
};

const std::vector<KernelEntry>& kernel_catalog();
const KernelEntry* find_kernel_entry(std::string_view name);
std::string kernel_names();  // "reference, standard, flash, ..." for error messages
// A fresh instance of an available kernel; nullptr if the family is not available here.
std::unique_ptr<AttentionKernel> make_kernel(std::string_view name);

}  // namespace fa
