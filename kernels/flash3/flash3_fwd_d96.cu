// flash3 forward instances for head dim 96 (fp16 and bf16, causal and dropout variants).
#include "kernels/flash3/flash3_fwd_launch.cuh"

namespace fa::flash3 {
template Fwd3Geometry fwd_geometry<96, false>(bool);
template void launch_fwd<96, false>(const Flash3Params&, const Fwd3Plan&, void*);
}  // namespace fa::flash3
