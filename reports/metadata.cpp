#include "reports/metadata.hpp"

#include <utility>

namespace fa {

const std::vector<MetadataField>& metadata_fields() {
  static const std::vector<MetadataField> fields = {
      {"tool_version", &RunMetadata::tool_version},
      {"git_commit", &RunMetadata::git_commit},
      {"build_type", &RunMetadata::build_type},
      {"compiler", &RunMetadata::compiler},
      {"cuda_architectures", &RunMetadata::cuda_architectures},
      {"command_line", &RunMetadata::command_line},
      {"date_utc", &RunMetadata::date_utc},
      {"host", &RunMetadata::host},
      {"device", &RunMetadata::device},
      {"device_count", &RunMetadata::device_count},
      {"driver_version", &RunMetadata::driver_version},
      {"cuda_runtime_version", &RunMetadata::cuda_runtime_version},
      {"cudnn_version", &RunMetadata::cudnn_version},
      {"nccl_version", &RunMetadata::nccl_version},
      {"timing_mode", &RunMetadata::timing_mode},
      {"notes", &RunMetadata::notes},
      {"resumed_from", &RunMetadata::resumed_from},
  };
  return fields;
}

void set_metadata_field(RunMetadata& m, std::string_view key, std::string value) {
  for (const MetadataField& field : metadata_fields()) {
    if (field.name == key) {
      m.*field.member = std::move(value);
      return;
    }
  }
  m.extra[std::string(key)] = std::move(value);
}

}  // namespace fa
