#include "cli/run_metadata.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>

#include "kernels/registry.hpp"

namespace fa::cli {
namespace {
std::string utc_format(const char* fmt) {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, fmt, &tm);
  return buf;
}
}  // namespace

std::string utc_timestamp_compact() { return utc_format("%Y%m%d-%H%M%S"); }

RunMetadata collect_metadata(const std::string& command_line, const DeviceSummary& devices,
                             const std::string& timing_mode) {
  RunMetadata m;
  m.tool_version = FA_VERSION;
  m.git_commit = FA_GIT_COMMIT;
  m.build_type = FA_BUILD_TYPE;
  m.compiler = FA_COMPILER;
  m.cuda_architectures = FA_CUDA_ARCHS;
  m.command_line = command_line;
  m.date_utc = utc_format("%Y-%m-%dT%H:%M:%SZ");
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) == 0) m.host = host;
  if (devices.devices.empty()) {
    m.device = "cpu (" + devices.none_reason + ")";
  } else {
    m.device = devices.devices.front().name;
  }
  m.device_count = std::to_string(devices.devices.size());
  m.driver_version = devices.driver_version;
  m.cuda_runtime_version = devices.runtime_version;
  m.timing_mode = timing_mode;
  // The libraries the built families load (cuDNN, NCCL, ...), each under the key its family names.
  for (const LibraryVersion& v : loaded_library_versions()) set_metadata_field(m, v.key, v.version);
  return m;
}

}  // namespace fa::cli
