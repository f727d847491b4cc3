// The reference family's face (kernels/family.hpp): the float64 CPU reference run as a kernel.
#include "kernels/reference/reference_family.hpp"

namespace fa {

KernelFamily reference_family() {
  return {.name = "reference",
          .summary = "float64 CPU reference (exact; slow; runs anywhere)",
          .backend = Backend::host,
          .uses_block_mask = true,
          .io_model = nullptr,  // a CPU, not a GPU memory hierarchy
          .grouped_kv = true,
          .fp8 = true,  // on the dequantized values, what an fp8 kernel computes with
          .varlen = true};
}

}  // namespace fa
