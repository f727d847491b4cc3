#pragma once
// The `standard` family: attention the way eager PyTorch computes it, done well.
//   S = scale * Q K^T (cuBLAS) -> one fused kernel: causal mask + softmax + dropout -> P, lse
//   O = P V (cuBLAS).  S and P are materialised in HBM in the point's dtype.
// Backward reuses the S and P buffers (see standard_kernel.cpp for the buffer schedule).
#include <memory>

#include "core/kernel.hpp"

namespace fa {

std::unique_ptr<AttentionKernel> make_standard_kernel();

}  // namespace fa
