// flash3 backward main-kernel instances for head dim 128 (fp16 and bf16, causal and dropout variants).
#include "kernels/flash3/flash3_bwd_launch.cuh"

namespace fa::flash3 {
template void launch_bwd<128>(const Flash3BwdParams&, const Bwd3Plan&, void*);
}  // namespace fa::flash3
