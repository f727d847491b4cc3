#pragma once
// CUPTI return codes turned into readable reasons: the error's name (cuptiGetResultString), CUPTI's
// message, and a hint for the failures a user can act on (permissions, another profiler attached).
// CUDA builds only.
#include <cupti_result.h>

#include <string>

namespace fa::cupti {

// "CUPTI_ERROR_INSUFFICIENT_PRIVILEGES (...message...)".
std::string result_text(CUptiResult r);
// What to do about r, or empty.
std::string result_hint(CUptiResult r);
// "<call> failed: <result_text>[ - <hint>]".
std::string failure(const char* call, CUptiResult r);

}  // namespace fa::cupti
