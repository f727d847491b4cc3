#pragma once
// The block_sparse family's face (block_sparse_family.cpp, built in every configuration) and what its built sources
// add (block_sparse_build()); kernels/family.hpp says what each holds.
#include "kernels/family.hpp"

namespace fa {

KernelFamily block_sparse_family();
FamilyBuild block_sparse_build();

}  // namespace fa
