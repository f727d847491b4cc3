// flash3 forward block-mask instances for head dim 128 (fp16 and bf16, causal both, no dropout; block_sparse),
// apart from the dense ones so the two compile in parallel.
#include "kernels/flash3/flash3_fwd_launch.cuh"

namespace fa::flash3 {
template void launch_fwd_block_mask<128>(const Flash3Params&, const Fwd3Plan&, void*);
}  // namespace fa::flash3
