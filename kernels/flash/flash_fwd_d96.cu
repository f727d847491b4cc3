// Flash forward instances for head dim 96 (fp16 and bf16, causal and dropout variants).
#include "kernels/flash/flash_fwd_launch.cuh"

namespace fa::flash {
template void launch_flash_fwd_hdim<96>(const FlashParams&, cudaStream_t);
}  // namespace fa::flash
