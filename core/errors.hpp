#pragma once
// Error types with a defined exit code. UsageError: bad flag or sweep-file entry (exit 2), always
// naming the flag and what it accepts. RuntimeFailure: a point failed (becomes an `error` row).
#include <stdexcept>
#include <string>

namespace fa {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "--dtype: 'fp12' is not a dtype (accepted: fp32, fp16, bf16)"
inline UsageError bad_value(const std::string& flag, const std::string& value, const std::string& accepted) {
  return UsageError(flag + ": '" + value + "' is not valid (accepted: " + accepted + ")");
}

}  // namespace fa
