#pragma once
// Per-head-dim entry points of the flash forward (defined in flash_fwd_d<D>.cu). Host-only header.
#include <cuda_runtime_api.h>

#include "kernels/flash/flash_params.hpp"

namespace fa::flash {

template <int D>
void launch_flash_fwd_hdim(const FlashParams& p, cudaStream_t stream);

extern template void launch_flash_fwd_hdim<32>(const FlashParams&, cudaStream_t);
extern template void launch_flash_fwd_hdim<64>(const FlashParams&, cudaStream_t);
extern template void launch_flash_fwd_hdim<96>(const FlashParams&, cudaStream_t);
extern template void launch_flash_fwd_hdim<128>(const FlashParams&, cudaStream_t);
extern template void launch_flash_fwd_hdim<256>(const FlashParams&, cudaStream_t);

}  // namespace fa::flash
