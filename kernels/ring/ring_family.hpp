#pragma once
// The ring family's face (ring_family.cpp, built in every configuration) and what its built sources
// add (ring_build()); kernels/family.hpp says what each holds.
#include "kernels/family.hpp"

namespace fa {

KernelFamily ring_family();
FamilyBuild ring_build();

}  // namespace fa
