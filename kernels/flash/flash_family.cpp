// The flash family's face (kernels/family.hpp).
#include "kernels/flash/flash_family.hpp"

#include "kernels/flash/flash_io.hpp"

namespace fa {

KernelFamily flash_family() {
  return {.name = "flash",
          .summary = "fused tiled attention, online softmax, recompute in backward (FA2 style); split-K/V "
                     "forward for decoding (<= 64 query rows per K/V head; each row notes its chunks)",
          .backend = Backend::cuda,
          .uses_block_mask = false,
          .io_model = &flash::flash_io,
          .grouped_kv = true,
          .varlen = true};
}

}  // namespace fa
