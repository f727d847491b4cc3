#if FA_HAS_CUDA
#include "measure/cupti_check.hpp"

#include <cupti_result.h>

namespace fa::cupti {

std::string result_text(CUptiResult r) {
  const char* name = nullptr;
  std::string s;
  if (cuptiGetResultString(r, &name) == CUPTI_SUCCESS && name) s = name;
  else s = "CUPTI result " + std::to_string(static_cast<int>(r));
  const char* msg = nullptr;
  if (cuptiGetErrorMessage(r, &msg) == CUPTI_SUCCESS && msg && *msg && s != msg) s += std::string(" (") + msg + ")";
  return s;
}

std::string result_hint(CUptiResult r) {
  switch (r) {
    case CUPTI_ERROR_INSUFFICIENT_PRIVILEGES:
    case CUPTI_ERROR_VIRTUALIZED_DEVICE_INSUFFICIENT_PRIVILEGES:
      return "GPU performance counters are restricted to administrators on this machine "
             "(driver option NVreg_RestrictProfilingToAdminUsers): run as root or lift the restriction";
    case CUPTI_ERROR_MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED:
      return "another CUPTI client (ncu, nsys) is attached to this process: use its counters";
    case CUPTI_ERROR_NOT_SUPPORTED:
    case CUPTI_ERROR_VIRTUALIZED_DEVICE_NOT_SUPPORTED:
    case CUPTI_ERROR_CONFIDENTIAL_COMPUTING_NOT_SUPPORTED:
    case CUPTI_ERROR_CMP_DEVICE_NOT_SUPPORTED:
    case CUPTI_ERROR_MIG_DEVICE_NOT_SUPPORTED:
    case CUPTI_ERROR_SLI_DEVICE_NOT_SUPPORTED:
    case CUPTI_ERROR_WSL_DEVICE_NOT_SUPPORTED:
    case CUPTI_ERROR_INVALID_CHIP_NAME:
      return "this GPU or configuration does not support the CUPTI Range Profiler";
    case CUPTI_ERROR_INVALID_METRIC_NAME:
      return "unknown metric for this GPU (list them with: ncu --query-metrics)";
    default:
      return {};
  }
}

std::string failure(const char* call, CUptiResult r) {
  std::string s = std::string(call) + " failed: " + result_text(r);
  if (const std::string h = result_hint(r); !h.empty()) s += " - " + h;
  return s;
}

}  // namespace fa::cupti
#endif  // FA_HAS_CUDA
