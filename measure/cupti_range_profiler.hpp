#pragma once
// The CUDA-build implementation of CounterSession on the CUPTI Range Profiler (CUDA 13 API:
// cupti_range_profiler.h + cupti_profiler_host.h). Not linked against libcuda: driver calls go
// through cudaGetDriverEntryPointByVersion, so the binary still starts where no driver is installed.
#include <memory>
#include <string>
#include <vector>

#include "measure/counters.hpp"

namespace fa::cupti {

std::unique_ptr<CounterSession> make_range_profiler_session(int device, std::vector<std::string> metrics,
                                                            const CounterOptions& options, std::string* why_not);

}  // namespace fa::cupti
