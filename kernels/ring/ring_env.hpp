#pragma once
// The ring's choices read from the environment when the kernel object is created (FA_RING_SHARDING,
// FA_RING_STEPS): one of a few names, or unset. Strict: a misspelt value must not silently measure the
// other choice.
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace fa::ring {

// nullopt when `variable` is unset or empty; the value paired with its text when that is one of `choices`;
// otherwise throws std::invalid_argument "ring: <variable>='<text>' is not valid (accepted: <accepted>;
// unset: <unset>)".
template <class T>
std::optional<T> choice_from_environment(const char* variable,
                                         std::initializer_list<std::pair<std::string_view, T>> choices,
                                         std::string_view accepted, std::string_view unset) {
  const char* env = std::getenv(variable);
  if (env == nullptr || env[0] == '\0') return std::nullopt;
  const std::string value(env);
  for (const auto& [text, choice] : choices) {
    if (value == text) return choice;
  }
  throw std::invalid_argument("ring: " + std::string(variable) + "='" + value + "' is not valid (accepted: " +
                              std::string(accepted) + "; unset: " + std::string(unset) + ")");
}

}  // namespace fa::ring
