// Split-K/V decode instances for head dim 128 (flash_decode_launch.cuh).
#include "kernels/flash/flash_decode_launch.cuh"

namespace fa::flash {
template void launch_flash_decode_hdim<128>(const FlashParams&, const DecodeArgs&, int, cudaStream_t);
}  // namespace fa::flash
