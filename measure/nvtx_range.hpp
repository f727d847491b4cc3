#pragma once
// An NVTX range named after a point, open for the object's lifetime, so that `ncu --nvtx-include` can
// select exactly that point's work. Nothing in builds without CUDA, or when `on` is false.
#include <string>

#if FA_HAS_CUDA
#include <nvtx3/nvToolsExt.h>
#endif

namespace fa {

class NvtxRange {
 public:
  NvtxRange(const std::string& name, bool on) : on_(on) {
#if FA_HAS_CUDA
    if (on_) nvtxRangePushA(name.c_str());
#else
    (void)name;
#endif
  }
  ~NvtxRange() {
#if FA_HAS_CUDA
    if (on_) nvtxRangePop();
#endif
  }
  NvtxRange(const NvtxRange&) = delete;
  NvtxRange& operator=(const NvtxRange&) = delete;

 private:
  bool on_;
};

}  // namespace fa
