#pragma once
// The standard family's face (standard_family.cpp, built in every configuration) and what its built sources
// add (standard_build()); kernels/family.hpp says what each holds.
#include "kernels/family.hpp"

namespace fa {

KernelFamily standard_family();
FamilyBuild standard_build();

}  // namespace fa
