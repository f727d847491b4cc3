#pragma once
// The flash family's face (flash_family.cpp, built in every configuration) and what its built sources
// add (flash_build()); kernels/family.hpp says what each holds.
#include "kernels/family.hpp"

namespace fa {

KernelFamily flash_family();
FamilyBuild flash_build();

}  // namespace fa
