// Main backward kernel for head dim 256 (fp16, bf16; with and without dropout).
#include "kernels/flash/flash_bwd_launch_main.cuh"

namespace fa::flash::bwd {
template void launch_main<256>(const FlashBwdParams&, const Workspace&, void*);
}  // namespace fa::flash::bwd
