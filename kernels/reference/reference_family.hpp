#pragma once
// The reference family's face (reference_family.cpp, built in every configuration) and what its built sources
// add (reference_build()); kernels/family.hpp says what each holds.
#include "kernels/family.hpp"

namespace fa {

KernelFamily reference_family();
FamilyBuild reference_build();

}  // namespace fa
