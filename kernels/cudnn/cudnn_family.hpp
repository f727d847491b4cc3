#pragma once
// The cudnn family's face (cudnn_family.cpp, built in every configuration) and what its built sources
// add (cudnn_build()); kernels/family.hpp says what each holds.
#include "kernels/family.hpp"

namespace fa {

KernelFamily cudnn_family();
FamilyBuild cudnn_build();

}  // namespace fa
