// flash3 forward instances for head dim 64 (fp16 and bf16, causal and dropout variants; e4m3, causal variants).
#include "kernels/flash3/flash3_fwd_launch.cuh"

namespace fa::flash3 {
template Fwd3Geometry fwd_geometry<64, true>(bool);
template void launch_fwd<64, true>(const Flash3Params&, const Fwd3Plan&, void*);
}  // namespace fa::flash3
