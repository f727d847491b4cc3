// The ring family's face (kernels/family.hpp). No IO model: its traffic is spread over several GPUs
// and NVLink, which one GPU's L2 rule does not describe.
#include "kernels/ring/ring_family.hpp"

namespace fa {

KernelFamily ring_family() {
  return {.name = "ring",
          .summary = "ring attention across GPUs over NCCL (sequence sharded, zigzag for causal; K/V blocks passed "
                     "around; each block on flash3 on sm_90, else flash)",
          .backend = Backend::cuda,
          .uses_block_mask = false,
          .io_model = nullptr};
}

}  // namespace fa
