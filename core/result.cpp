#include "core/result.hpp"

namespace fa {

std::string_view to_string(Status s) {
  switch (s) {
    case Status::ok: return "ok";
    case Status::oom: return "oom";
    case Status::unsupported: return "unsupported";
    case Status::error: return "error";
    case Status::planned: return "planned";
  }
  return "?";
}

std::optional<double> measured_hbm_bytes(const Row& r) {
  if (!r.hbm_read_bytes || !r.hbm_write_bytes) return std::nullopt;
  return *r.hbm_read_bytes + *r.hbm_write_bytes;
}

std::optional<Status> parse_status(std::string_view s) {
  for (Status st : {Status::ok, Status::oom, Status::unsupported, Status::error, Status::planned}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

}  // namespace fa
