#pragma once
// flash3's forward and backward on caller-given pointers and strides, for families that describe their
// launches with flash's parameters (flash::FlashParams: ring runs one per ring step on a window of its shards).
// A call is planned once (its TMA tensor maps bake in the pointers, shapes and strides: build it outside any
// timed region) and then enqueued any number of times with nothing on the host in front of the kernels.
#include <cuda_runtime_api.h>

#include <cstddef>

#include "kernels/flash/flash_params.hpp"
#include "kernels/flash3/flash3_bwd.hpp"
#include "kernels/flash3/flash3_fwd.hpp"
#include "kernels/flash3/flash3_params.hpp"

namespace fa::flash3 {

// The flash3 parameters that flash's describe: the same pointers, strides, shape, softmax scale, causal mask
// (bottom-right in both) and dropout (flash's 8-bit threshold and the probability it stands for).
Flash3Params params_from_flash(const flash::FlashParams& f);
Flash3BwdParams params_from_flash(const flash::FlashBwdParams& f);

// Empty when flash3 runs these parameters (the forward; with `backward`, the backward too); else why not,
// including what flash's parameters can say and flash3 has no field for (block masks, variable lengths).
const char* unsupported_reason_for(const flash::FlashParams& f, bool backward);

// Scratch of flash3's calls on these parameters: the forward's (fp8 D 128: V^T; causal: the tile counter) and the
// backward's.
std::size_t fwd_workspace_bytes_for(const flash::FlashParams& f);
std::size_t bwd_workspace_bytes_for(const flash::FlashParams& f);

// One forward on fixed parameters. `workspace`: fwd_workspace_bytes_for(f) bytes (null when that is 0); it is
// reset on the stream by every launch, so calls enqueued in order on one stream may share it.
class Fwd3Call {
 public:
  // Plans on the current device (the one the call will run on). Throws std::invalid_argument when flash3
  // refuses the parameters, with its reason.
  Fwd3Call(const flash::FlashParams& f, void* workspace);
  void enqueue(cudaStream_t stream) const { run_fwd(params_, plan_, stream); }
  const Flash3Params& params() const { return params_; }

 private:
  Flash3Params params_;
  Fwd3Plan plan_;
};

// One backward (preprocess, main kernel, postprocess) on fixed parameters. dQ, dK and dV are written, not
// added to. `workspace` of `workspace_bytes` bytes, at least bwd_workspace_bytes_for(f); every launch
// re-initialises it, so calls enqueued in order on one stream may share it.
class Bwd3Call {
 public:
  // As Fwd3Call; also throws std::invalid_argument when the workspace is too small.
  Bwd3Call(const flash::FlashBwdParams& f, void* workspace, std::size_t workspace_bytes);
  void enqueue(cudaStream_t stream) const { run_bwd(params_, plan_, stream); }
  const Flash3BwdParams& params() const { return params_; }

 private:
  Flash3BwdParams params_;
  Bwd3Plan plan_;
};

}  // namespace fa::flash3
