// Split-K/V decode instances for head dim 64 (flash_decode_launch.cuh).
#include "kernels/flash/flash_decode_launch.cuh"

namespace fa::flash {
template void launch_flash_decode_hdim<64>(const FlashParams&, const DecodeArgs&, int, cudaStream_t);
}  // namespace fa::flash
