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

std::optional<Status> parse_status(std::string_view s) {
  for (Status st : {Status::ok, Status::oom, Status::unsupported, Status::error, Status::planned}) {
    if (to_string(st) == s) return st;
  }
  return std::nullopt;
}

}  // namespace fa
