#pragma once
// What a result file says about the run that produced it: enough to tell two runs apart and to
// reproduce one (tool build, command line, machine, driver, timing mode).
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace fa {

struct RunMetadata {
  std::string tool_version;          // fa-bench version
  std::string git_commit;            // source commit when the build was configured (uncommitted edits not marked)
  std::string build_type;            // Release / Debug: a Debug build's timings mean little
  std::string compiler;              // host compiler and nvcc versions
  std::string cuda_architectures;    // architectures compiled for ("90a;80")
  std::string command_line;          // as typed
  std::string date_utc;              // ISO 8601 start time
  std::string host;                  // host name
  std::string device;                // GPU name(s) or "cpu"
  std::string device_count;
  std::string driver_version;
  std::string cuda_runtime_version;
  std::string cudnn_version;
  std::string nccl_version;          // of the libnccl loaded (ring family), when it is built
  std::string timing_mode;           // cold / hot / host
  std::string notes;                 // free text (e.g. clock locking, other load)
  std::string resumed_from;          // date_utc of the earlier run(s) whose rows were kept (--resume)
  // Keys from a newer file this build does not know; kept so reading and rewriting loses nothing.
  std::map<std::string, std::string> extra;

  bool operator==(const RunMetadata&) const = default;
};

// The named fields in their display order: the one list the JSON and Markdown writers share.
struct MetadataField {
  std::string_view name;
  std::string RunMetadata::*member;
};
const std::vector<MetadataField>& metadata_fields();

// Sets the named field `key`, or for a key with no field of its own, the extra entry.
void set_metadata_field(RunMetadata& m, std::string_view key, std::string value);

}  // namespace fa
