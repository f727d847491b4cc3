// The standard family's face (kernels/family.hpp).
#include "kernels/standard/standard_family.hpp"

#include "kernels/standard/standard_io.hpp"

namespace fa {

KernelFamily standard_family() {
  return {.name = "standard",
          .summary = "cuBLAS QK^T, fused mask+softmax+dropout, cuBLAS PV; S and P in HBM (GQA: a group's query "
                     "heads stacked into one GEMM, bhnd)",
          .backend = Backend::cuda,
          .uses_block_mask = false,
          .io_model = &standard::standard_io,
          .grouped_kv = true};
}

}  // namespace fa
