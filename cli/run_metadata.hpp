#pragma once
// Collects the facts about this run that go into every result file.
#include <string>

#include "measure/device_info.hpp"
#include "reports/metadata.hpp"

namespace fa::cli {

RunMetadata collect_metadata(const std::string& command_line, const DeviceSummary& devices,
                             const std::string& timing_mode);
std::string utc_timestamp_compact();  // 20261123-184512, for default output folders

}  // namespace fa::cli
